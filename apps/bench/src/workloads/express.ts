// The express workload: a route with a 1 ms handler, bare, behind concurrencyLimit (uncontended and
// contended) and behind express-rate-limit with rate-limit-redis (the nearest peer), each server in
// its own process, interleaved over rounds. Writes results/express.{json,md}; ratios are to bare.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { BenchContext } from '../context.js';
import { median } from '../infra/stats.js';
import type { IntegrationRow } from '../results.js';
import { acquireRoundTripMs, type LoadResult, redisRoundTripMs, runLoad } from './express-load.js';

interface Row {
  readonly id: string;
  readonly label: string;
  readonly mode: 'bare' | 'lockstep' | 'express-rate-limit';
  readonly connections: number;
  readonly limit?: number;
}

/** Concurrent client connections of the parallel rows; the contended row's limit is a quarter of it. */
const CONNECTIONS = 16;
const CONTENDED_LIMIT = 4;
const UNCONTENDED_LIMIT = 10_000;

const ROWS: readonly Row[] = [
  { id: 'bare-1', label: 'bare', mode: 'bare', connections: 1 },
  {
    id: 'lockstep-1',
    label: 'concurrencyLimit, uncontended',
    mode: 'lockstep',
    connections: 1,
    limit: UNCONTENDED_LIMIT,
  },
  { id: 'erl-1', label: 'express-rate-limit + rate-limit-redis', mode: 'express-rate-limit', connections: 1 },
  { id: 'bare-n', label: 'bare', mode: 'bare', connections: CONNECTIONS },
  {
    id: 'lockstep-n',
    label: 'concurrencyLimit, uncontended',
    mode: 'lockstep',
    connections: CONNECTIONS,
    limit: UNCONTENDED_LIMIT,
  },
  {
    id: 'lockstep-contended',
    label: `concurrencyLimit, contended (limit ${CONTENDED_LIMIT})`,
    mode: 'lockstep',
    connections: CONNECTIONS,
    limit: CONTENDED_LIMIT,
  },
  { id: 'erl-n', label: 'express-rate-limit + rate-limit-redis', mode: 'express-rate-limit', connections: CONNECTIONS },
];

const SERVER = fileURLToPath(new URL('./express-server.ts', import.meta.url));

async function startServer(row: Row, redisUrl: string): Promise<{ port: number; child: ChildProcess }> {
  const args = ['--import', 'tsx', SERVER, row.mode, redisUrl, String(row.limit ?? 0), row.id];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const match = /READY (\d+)/.exec(out);
    if (match) return { port: Number(match[1]), child };
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`express server (${row.id}) did not start`);
}

/** Median figures of one row, with ratios to the bare row of the same connection count. */
export interface ExpressRowResult {
  readonly id: string;
  readonly label: string;
  readonly connections: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** p50 time the server spent in front of the handler, ms. */
  readonly gateP50Ms: number;
  /** The server process's CPU (user + system) per request, µs. */
  readonly serverCpuUsPerReq: number;
  /** redis-server's CPU per request, µs. */
  readonly redisCpuUsPerReq: number;
  readonly rpsRatio: number;
  readonly p50Ratio: number;
  readonly p99Ratio: number;
}

/** Runs every row over the profile's rounds and writes the report. */
export async function expressWorkload(ctx: BenchContext): Promise<ExpressRowResult[]> {
  const url = ctx.single.urls[0] as string;
  const quick = ctx.profile.name === 'quick';
  const warmupMs = quick ? 300 : 1_000;
  const durationMs = quick ? 1_000 : 3_000;
  const servers = new Map<string, { port: number; child: ChildProcess }>();
  const outcomes = new Map<string, LoadResult[]>(ROWS.map((r) => [r.id, []]));
  const cpuReader = new Redis(url);
  try {
    for (const row of ROWS) servers.set(row.id, await startServer(row, url));
    for (let round = 0; round < ctx.profile.rounds; round++) {
      const shift = round % ROWS.length;
      const order = [...ROWS.slice(shift), ...ROWS.slice(0, shift)];
      for (const row of order) {
        const port = servers.get(row.id)?.port as number;
        const result = await runLoad(port, row.connections, warmupMs, durationMs, cpuReader);
        outcomes.get(row.id)?.push(result);
        ctx.log(
          `  express r${round + 1} ${row.id}: ${Math.round(result.requestsPerSec)} req/s, p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms`,
        );
      }
    }
  } finally {
    for (const { child } of servers.values()) child.kill('SIGTERM');
    cpuReader.disconnect();
  }
  const rttMs = await redisRoundTripMs(url);
  const acquireMs = await acquireRoundTripMs(url);
  const results = summarize(outcomes);
  write(results, { rttMs, acquireMs }, ctx.profile.name);
  return results;
}

function summarize(outcomes: Map<string, LoadResult[]>): ExpressRowResult[] {
  const med = (id: string, key: keyof LoadResult) => median((outcomes.get(id) ?? []).map((o) => o[key]));
  return ROWS.map((row) => {
    const bare = row.connections === 1 ? 'bare-1' : 'bare-n';
    return {
      id: row.id,
      label: row.label,
      connections: row.connections,
      requestsPerSec: med(row.id, 'requestsPerSec'),
      p50Ms: med(row.id, 'p50Ms'),
      p99Ms: med(row.id, 'p99Ms'),
      errors: (outcomes.get(row.id) ?? []).reduce((sum, o) => sum + o.errors, 0),
      gateP50Ms: med(row.id, 'gateP50Ms'),
      serverCpuUsPerReq: med(row.id, 'serverCpuUsPerReq'),
      redisCpuUsPerReq: med(row.id, 'redisCpuUsPerReq'),
      rpsRatio: med(row.id, 'requestsPerSec') / med(bare, 'requestsPerSec'),
      p50Ratio: med(row.id, 'p50Ms') / med(bare, 'p50Ms'),
      p99Ratio: med(row.id, 'p99Ms') / med(bare, 'p99Ms'),
    };
  });
}

function write(results: readonly ExpressRowResult[], rt: { rttMs: number; acquireMs: number }, profile: string): void {
  const { rttMs, acquireMs } = rt;
  const byId = new Map(results.map((r) => [r.id, r]));
  const added = (byId.get('lockstep-1')?.p50Ms ?? Number.NaN) - (byId.get('bare-1')?.p50Ms ?? Number.NaN);
  const gate = (byId.get('lockstep-1')?.gateP50Ms ?? Number.NaN) - (byId.get('bare-1')?.gateP50Ms ?? Number.NaN);
  const lines = [
    `# Express workload (${profile} profile)`,
    '',
    'A route whose handler answers after `setTimeout(1)`; each server in its own process; requests on',
    'keep-alive connections from the bench process; medians over rounds. Ratios are to the bare route',
    'at the same number of connections.',
    '',
    '| Setup | Connections | Requests/s | p50 ms | p99 ms | Requests/s ratio | p50 ratio | p99 ratio | In front of the handler, p50 ms | Server CPU µs / request | Redis CPU µs / request |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.connections} | ${Math.round(r.requestsPerSec)} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${r.rpsRatio.toFixed(2)} | ${r.p50Ratio.toFixed(2)} | ${r.p99Ratio.toFixed(2)} | ${r.gateP50Ms.toFixed(3)} | ${Math.round(r.serverCpuUsPerReq)} | ${Math.round(r.redisCpuUsPerReq)} |`,
    ),
    '',
    `Round trips from the bench process (p50): PING ${rttMs.toFixed(3)} ms; one uncontended core`,
    `\`semaphore.acquire()\` (the script the middleware runs before the handler) ${acquireMs.toFixed(3)} ms.`,
    `Added p50 latency of concurrencyLimit, uncontended, 1 connection: ${added.toFixed(3)} ms =`,
    `${(added / acquireMs).toFixed(2)} acquire round trips = ${(added / rttMs).toFixed(2)} PING round trips (target: at most one round trip).`,
    `Measured inside the server (Server-Timing, arrival to handler, 1 connection), the middleware adds`,
    `${gate.toFixed(3)} ms at p50 = ${(gate / acquireMs).toFixed(2)} acquire round trips.`,
    `The contended row's ceiling is ${CONTENDED_LIMIT} permits / (1 ms handler + timer slack).`,
    ...cpuLines(byId),
    '',
  ];
  const dir = fileURLToPath(new URL('../../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}express.md`, lines.join('\n'));
  writeFileSync(
    `${dir}express.json`,
    `${JSON.stringify({ profile, rttMs, acquireMs, addedP50Ms: added, addedGateP50Ms: gate, rows: results }, null, 2)}\n`,
  );
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** Where the parallel rows' CPU goes: the server's and Redis's CPU per request above the bare route. */
function cpuLines(byId: ReadonlyMap<string, ExpressRowResult>): string[] {
  const bare = byId.get('bare-n');
  const gated = byId.get('lockstep-n');
  const peer = byId.get('erl-n');
  if (!bare || !gated || !peer) return [];
  const us = (n: number) => `${Math.round(n)} µs`;
  return [
    `CPU per request at ${CONNECTIONS} connections (the server process's user + system time from its /cpu route, Redis's`,
    `from \`INFO cpu\`): the bare route costs its server ${us(bare.serverCpuUsPerReq)}. concurrencyLimit (an acquire and a release: two`,
    `Redis commands) adds ${us(gated.serverCpuUsPerReq - bare.serverCpuUsPerReq)} of server CPU and ${us(gated.redisCpuUsPerReq)} of Redis CPU; express-rate-limit (one command)`,
    `adds ${us(peer.serverCpuUsPerReq - bare.serverCpuUsPerReq)} and ${us(peer.redisCpuUsPerReq)}. The bench process, the server and Redis share the machine's cores, so the`,
    `parallel rows' requests/s fall with the total.`,
  ];
}

/** The Express route with and without concurrencyLimit (uncontended), as integration-overhead ratios. */
export function expressIntegration(results: readonly ExpressRowResult[]): IntegrationRow[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const out: IntegrationRow[] = [];
  for (const [bare, gated] of [
    ['bare-1', 'lockstep-1'],
    ['bare-n', 'lockstep-n'],
  ] as const) {
    const without = byId.get(bare);
    const value = byId.get(gated);
    if (!without || !value) continue;
    const shape = `route with a 1 ms handler, ${value.connections} connection${value.connections === 1 ? '' : 's'}, concurrencyLimit uncontended`;
    type Key = 'requestsPerSec' | 'p50Ms' | 'p99Ms' | 'serverCpuUsPerReq';
    const row = (metric: string, key: Key, better: IntegrationRow['better']) => ({
      integration: 'Express route (concurrencyLimit)',
      shape,
      metric,
      without: without[key],
      with: value[key],
      ratio: value[key] / without[key],
      better,
    });
    out.push(
      row('requests/s', 'requestsPerSec', 'higher'),
      row('p50 ms', 'p50Ms', 'lower'),
      row('p99 ms', 'p99Ms', 'lower'),
      row('server CPU µs / request', 'serverCpuUsPerReq', 'lower'),
    );
  }
  return out;
}
