// A @Locked run with minHoldMs leaves its lease to expire on purpose (ShedLock's "lock at least
// for"). That expiry is not a loss, yet core reports it on the `lockstep:lease:lost` diagnostics
// channel (so @lockstep/otel counts `lockstep.lease.lost{reason=expired}` on every cron tick): the
// extension that keeps the lock arms the lease's end-of-window timer, and core has no public way to
// leave a lease to expire quietly. Marked `fails` until core offers one (for example a lease method
// that extends to a deadline and stops its timers, as `Lockstep.close()` does internally with
// DETACH) and run-guarded.ts's finish() uses it; flip it to `it` then.
import 'reflect-metadata';
import diagnosticsChannel from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS } from '@lockstep/core';
import { uniquePrefix } from '@lockstep/test-utils';
import { standaloneClient } from '@lockstep/test-utils/context';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { expect, it } from 'vitest';
import { Locked, LockstepModule } from '../src/index.js';

@Injectable()
class Reports {
  @Locked('rollup', { onBusy: 'skip', minHoldMs: 300 })
  async rollup(): Promise<string> {
    return 'ran';
  }
}

it.fails('a lease left to expire after minHoldMs is not reported as lost', async () => {
  const lost: { name: string; reason: string }[] = [];
  const listener = (message: unknown) => lost.push(message as { name: string; reason: string });
  diagnosticsChannel.subscribe(DIAGNOSTICS_CHANNELS.lost, listener);
  const ref = await Test.createTestingModule({
    imports: [LockstepModule.forRoot({ redis: standaloneClient(), prefix: uniquePrefix('minhold') })],
    providers: [Reports],
  }).compile();
  await ref.init();
  try {
    expect(await ref.get(Reports).rollup()).toBe('ran');
    expect(await ref.get(Reports).rollup()).toBeUndefined(); // held for minHoldMs: skipped
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(lost.filter((m) => m.name === 'rollup')).toEqual([]);
  } finally {
    diagnosticsChannel.unsubscribe(DIAGNOSTICS_CHANNELS.lost, listener);
    await ref.close();
  }
});
