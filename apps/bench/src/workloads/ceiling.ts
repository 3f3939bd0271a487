// The physical ceiling of the machine: redis-benchmark for SET NX PX and the EVALSHA
// compare-and-delete, at 1 and 50 clients, on the benchmark's own server; and the round trip of
// one EVALSHA from Node, back to back and after 1 ms of idle (what a hand-off after a 1 ms hold
// pays at least: both processes wake from idle).
import { spawn } from 'node:child_process';
import type { BenchContext } from '../context.js';
import { COMPARE_AND_DELETE } from '../libraries/raw.js';

export interface CeilingResult {
  readonly command: string;
  readonly clients: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  /** Set on the Node round-trip rows: `idle` is the pause before each call, ms. */
  readonly idleMs?: number;
}

/** The command label of the Node round-trip rows. */
export const ROUND_TRIP_COMMAND = 'EVALSHA compare-and-delete, one call at a time from Node (ioredis)';

// The p50 round trip of one EVALSHA from Node, with `idleMs` of sleep before each call.
async function roundTrip(ctx: BenchContext, sha: string, idleMs: number): Promise<CeilingResult> {
  const client = ctx.single.stats[0]?.client;
  if (!client) throw new Error('no server');
  const calls = Math.max(100, Math.round(ctx.profile.ceilingRequests / 100));
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    const t0 = performance.now();
    await client.evalsha(sha, 1, 'ceiling:rtt', 'token');
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p50Ms = times[Math.floor(times.length / 2)] as number;
  return { command: ROUND_TRIP_COMMAND, clients: 1, opsPerSec: Number.NaN, p50Ms, idleMs };
}

function run(args: readonly string[], cpu: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child =
      cpu === undefined
        ? spawn('redis-benchmark', [...args], { stdio: ['ignore', 'pipe', 'inherit'] })
        : spawn('taskset', ['-c', cpu, 'redis-benchmark', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-benchmark exited ${code}`))));
  });
}

/** Parses redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",… */
function parseCsv(text: string): { rps: number; p50: number } {
  const lines = text.trim().split('\n');
  const row = lines[lines.length - 1]?.split('","').map((f) => f.replace(/"/g, '')) ?? [];
  return { rps: Number(row[1]), p50: Number(row[4]) };
}

export async function ceiling(ctx: BenchContext, benchCpu: string | undefined): Promise<CeilingResult[]> {
  const stats = ctx.single.stats[0];
  if (!stats) throw new Error('no server');
  const sha = String(await stats.client.script('LOAD', COMPARE_AND_DELETE));
  const port = new URL(ctx.single.urls[0] as string).port;
  const commands: [string, string[]][] = [
    ['SET key token NX PX 10000', ['SET', 'ceiling:__rand_int__', 'token', 'NX', 'PX', '10000']],
    ['EVALSHA compare-and-delete', ['EVALSHA', sha, '1', 'ceiling:__rand_int__', 'token']],
  ];
  const out: CeilingResult[] = [];
  for (const clients of [1, 50]) {
    for (const [label, command] of commands) {
      const n = clients === 1 ? Math.round(ctx.profile.ceilingRequests / 4) : ctx.profile.ceilingRequests;
      const text = await run(
        ['-h', '127.0.0.1', '-p', port, '-c', String(clients), '-n', String(n), '-r', '1000000', '--csv', ...command],
        benchCpu,
      );
      const { rps, p50 } = parseCsv(text);
      out.push({ command: label, clients, opsPerSec: rps, p50Ms: p50 });
      ctx.log(`  ceiling ${label} × ${clients} clients: ${Math.round(rps)} ops/s`);
      await stats.flush();
    }
  }
  for (const idleMs of [0, 1]) {
    const row = await roundTrip(ctx, sha, idleMs);
    out.push(row);
    ctx.log(`  round trip after ${idleMs} ms idle: p50 ${row.p50Ms.toFixed(3)} ms`);
  }
  return out;
}
