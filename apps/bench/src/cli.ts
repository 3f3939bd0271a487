// `pnpm bench [--quick] [--only a,b] [--libs x,y] [--baseline <git-rev>] [--callgrind] [--no-pin]`:
// builds the baseline core if asked, starts private redis-servers, runs the suite, writes
// results/latest.{json,md}, the wait-time chart and docs/benchmarks.md, stops the servers.
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { PROCESSES, PROFILES, QUORUM_SERVERS } from './config.js';
import type { BenchContext, Servers } from './context.js';
import { BaselineBuildError, buildBaseline } from './infra/baseline-build.js';
import { installCommandCounter } from './infra/command-counter.js';
import { RedisServers, redisServerVersion } from './infra/redis-servers.js';
import { ServerStats } from './infra/server-stats.js';
import { baselineId, loadBaseline } from './libraries/baseline.js';
import { writeReports } from './report/write.js';
import { DEFAULT_WORKLOADS, runSuite, WORKLOADS, type WorkloadName } from './suite.js';
import { startWorkers, type Worker } from './worker-pool.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    libs: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    callgrind: { type: 'boolean', default: false },
  },
});

const profile = values.quick ? PROFILES.quick : PROFILES.full;
const only = new Set<WorkloadName>(
  values.only ? (values.only.split(',').map((s) => s.trim()) as WorkloadName[]) : DEFAULT_WORKLOADS,
);
if (values.callgrind) only.add('callgrind');
for (const name of only) {
  if (!WORKLOADS.includes(name)) throw new Error(`unknown workload ${name}; known: ${WORKLOADS.join(', ')}`);
}

const version = redisServerVersion();
if (!version) {
  console.error('redis-server is not installed (apt-get install redis-server, or brew install redis)');
  process.exit(2);
}

// Client and server on separate cores when there are at least two: Redis on the last core, Node
// (this process, its workers and redis-benchmark) on the others.
const cores = availableParallelism();
const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
const pin = !values['no-pin'] && cores >= 2 && hasTaskset;
const redisCpu = pin ? String(cores - 1) : undefined;
const nodeCpu = pin ? (cores === 2 ? '0' : `0-${cores - 2}`) : undefined;
if (nodeCpu !== undefined) spawnSync('taskset', ['-a', '-cp', nodeCpu, String(process.pid)], { stdio: 'ignore' });

installCommandCounter();
const started = performance.now();
const loadBefore = loadavg();
const log = (line: string) => console.error(`[${((performance.now() - started) / 1_000).toFixed(1)}s] ${line}`);

// Before anything starts: a revision that does not build ends the run here, with the reason.
let baseline: string | undefined;
if (values.baseline !== undefined) {
  try {
    const build = buildBaseline(values.baseline, log);
    await loadBaseline(build);
    baseline = baselineId(build);
  } catch (error) {
    if (!(error instanceof BaselineBuildError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}
const servers = new RedisServers(redisCpu);
let workers: Worker[] = [];
const stats: ServerStats[] = [];
try {
  log(
    `profile ${profile.name}; redis-server ${version}; pinning ${pin ? `node→${nodeCpu}, redis→${redisCpu}` : 'off'}`,
  );
  const single = await servers.start();
  const needsQuorum = only.has('quorum');
  const quorum = needsQuorum ? await Promise.all(Array.from({ length: QUORUM_SERVERS }, () => servers.start())) : [];
  const make = (list: { url: string }[]): Servers => {
    const s = list.map((server) => new ServerStats(server.url));
    stats.push(...s);
    return { urls: list.map((server) => server.url), stats: s };
  };
  const needsWorkers = only.has('mutex') || only.has('relay') || only.has('semaphore');
  workers = needsWorkers ? await startWorkers(PROCESSES) : [];
  const libs = values.libs ? new Set(values.libs.split(',').map((s) => s.trim())) : undefined;
  // `--libs` with `--baseline` keeps the baseline row next to Lockstep's.
  if (libs && baseline) libs.add(baseline);
  const ctx: BenchContext = { profile, single: make([single]), quorum: make(quorum), workers, libs, log };
  const results = await runSuite(ctx, only, nodeCpu);
  const seconds = (performance.now() - started) / 1_000;
  if (!values['no-write']) {
    const paths = await writeReports(results, {
      profile: profile.name,
      seconds,
      redisVersion: version,
      pinning: pin ? `Node on CPU ${nodeCpu}, redis-server on CPU ${redisCpu} (taskset)` : 'none',
      only: values.only,
      libs: values.libs,
      baseline: values.baseline,
      callgrind: values.callgrind === true,
      loadBefore,
    });
    log(`wrote ${paths.join(', ')}`);
  }
  log(`finished in ${seconds.toFixed(1)} s`);
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(stats.map((s) => s.close().catch(() => undefined)));
  await servers.stopAll();
}
