// HTTP load for the express workload: `connections` keep-alive loops for a fixed time, each request's
// latency on the monotonic clock in µs (load tools that report whole milliseconds cannot show a
// sub-millisecond difference), and a Redis PING round trip to compare the added latency with.
import http from 'node:http';
import { Lockstep } from '@lockstep/core';
import { Redis } from 'ioredis';
import { nowUs } from '../infra/clock.js';
import { spread } from '../infra/stats.js';

/** What one timed run measured. */
export interface LoadResult {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** p50 of the server's time in front of the handler (its `Server-Timing: gate`), ms. */
  readonly gateP50Ms: number;
  /** The server process's CPU time (user + system) per answered request over the window, µs. */
  readonly serverCpuUsPerReq: number;
  /** redis-server's CPU time (`INFO cpu`, user + system) per answered request over the window, µs. */
  readonly redisCpuUsPerReq: number;
}

/** CPU time so far, µs: the server process's (its /cpu route) and redis-server's. */
export interface CpuSample {
  readonly server: number;
  readonly redis: number;
}

/** Reads the server's CPU time from its /cpu route and Redis's from `INFO cpu` on `redis`. */
export async function sampleCpu(agent: http.Agent, port: number, redis: Redis): Promise<CpuSample> {
  const [server, info] = await Promise.all([
    new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/cpu', agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve((JSON.parse(body) as { us: number }).us));
      });
      req.on('error', reject);
      req.end();
    }),
    redis.info('cpu'),
  ]);
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return { server, redis: (field('used_cpu_sys') + field('used_cpu_user')) * 1e6 };
}

function get(agent: http.Agent, port: number): Promise<{ status: number; gateMs: number }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/work', agent }, (res) => {
      res.resume();
      const timing = /gate;dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, gateMs: timing ? Number(timing[1]) : Number.NaN }));
    });
    req.on('error', () => resolve({ status: -1, gateMs: Number.NaN }));
    req.end();
  });
}

/**
 * Runs `connections` loops: `warmupMs` unmeasured, then `durationMs` measured. The server's and
 * Redis's CPU time (on `redis`) are read at both ends of the measured window.
 */
export async function runLoad(
  port: number,
  connections: number,
  warmupMs: number,
  durationMs: number,
  redis: Redis,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  // Its own connection, so the samples never wait behind the measured requests.
  const cpuAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let measuring = false;
  let stop = false;
  let errors = 0;
  const latencies: number[] = [];
  const gates: number[] = [];
  const loop = async () => {
    while (!stop) {
      const t0 = nowUs();
      const { status, gateMs } = await get(agent, port);
      const t1 = nowUs();
      if (!measuring) continue;
      if (status === 200) {
        latencies.push((t1 - t0) / 1_000);
        gates.push(gateMs);
      } else errors++;
    }
  };
  const loops = Array.from({ length: connections }, loop);
  await new Promise((r) => setTimeout(r, warmupMs));
  const cpu0 = await sampleCpu(cpuAgent, port, redis);
  measuring = true;
  const t0 = nowUs();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const t1 = nowUs();
  const cpu1 = await sampleCpu(cpuAgent, port, redis);
  stop = true;
  await Promise.all(loops);
  agent.destroy();
  cpuAgent.destroy();
  const s = spread(latencies);
  const answered = latencies.length;
  return {
    requestsPerSec: answered / ((t1 - t0) / 1e6),
    p50Ms: s.p50,
    p99Ms: s.p99,
    errors,
    gateP50Ms: spread(gates.filter(Number.isFinite)).p50,
    serverCpuUsPerReq: answered ? (cpu1.server - cpu0.server) / answered : Number.NaN,
    redisCpuUsPerReq: answered ? (cpu1.redis - cpu0.redis) / answered : Number.NaN,
  };
}

/** Median PING round trip from this process, ms. */
export async function redisRoundTripMs(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    const samples: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const t0 = nowUs();
      await redis.ping();
      if (i >= 200) samples.push((nowUs() - t0) / 1_000);
    }
    return spread(samples).p50;
  } finally {
    redis.disconnect();
  }
}

/** Median of one uncontended `semaphore.acquire()` from this process (one script round trip), ms. */
export async function acquireRoundTripMs(url: string): Promise<number> {
  const redis = new Redis(url);
  const lockstep = new Lockstep({ redis, prefix: 'bench-express-rtt' });
  try {
    const semaphore = lockstep.semaphore('rtt', { limit: 10_000 });
    const samples: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const t0 = nowUs();
      const lease = await semaphore.acquire();
      if (i >= 200) samples.push((nowUs() - t0) / 1_000);
      await lease.release();
    }
    return spread(samples).p50;
  } finally {
    await lockstep.close();
    redis.disconnect();
  }
}
