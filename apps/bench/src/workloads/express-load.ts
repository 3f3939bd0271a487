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

/** Runs `connections` loops: `warmupMs` unmeasured, then `durationMs` measured. */
export async function runLoad(
  port: number,
  connections: number,
  warmupMs: number,
  durationMs: number,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
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
  measuring = true;
  const t0 = nowUs();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const t1 = nowUs();
  stop = true;
  await Promise.all(loops);
  agent.destroy();
  const s = spread(latencies);
  return {
    requestsPerSec: latencies.length / ((t1 - t0) / 1e6),
    p50Ms: s.p50,
    p99Ms: s.p99,
    errors,
    gateP50Ms: spread(gates.filter(Number.isFinite)).p50,
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
