// The physical ceiling of the machine: redis-benchmark for SET NX PX and the EVALSHA
// compare-and-delete, at 1 and 50 clients, on the benchmark's own server.
import { spawn } from 'node:child_process';
import type { BenchContext } from '../context.js';
import { COMPARE_AND_DELETE } from '../libraries/raw.js';

export interface CeilingResult {
  readonly command: string;
  readonly clients: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
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
  return out;
}
