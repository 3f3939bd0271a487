// The shared setup of the suites that run gated workers in OS processes: one fresh queue per test,
// every started process stopped and the queue's keys removed after each test.
import { standalonePort } from '@lockstep/test-utils/context';
import type { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import type { GatedWorkerConfig } from './gated-worker.js';
import { type FreshQueue, freshQueue, startWorkerProcess, type WorkerProcess } from './harness.js';

/** What a test of a process suite uses: its queue and the worker processes it starts. */
export interface ProcessSuite {
  /** Creates this test's queue on the standalone server (removed after the test). */
  queue(redis: Redis): FreshQueue;
  /** Starts a gated-worker process (stopped after the test). */
  start(config: GatedWorkerConfig): WorkerProcess;
}

/** Registers the clean-up in the calling `describe` and returns what its tests use. */
export function processSuite(): ProcessSuite {
  let q: FreshQueue | undefined;
  const procs: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    procs.length = 0;
    await q?.cleanup();
  });
  return {
    queue(redis) {
      q = freshQueue(standalonePort(), redis);
      return q;
    },
    start(config) {
      const proc = startWorkerProcess(config);
      procs.push(proc);
      return proc;
    },
  };
}
