// A @Locked run with minHoldMs leaves its lease to expire on purpose (ShedLock's "lock at least
// for"). That expiry is not a loss: it must not reach the `lockstep:lost` diagnostics channel
// (where @lockstep/otel would count `lockstep.lease.lost{reason=expired}` on every cron tick), and
// the name must stay taken until the hold ends. run-guarded.ts's finish() uses lease.releaseAfter().
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

it('a lease left to expire after minHoldMs is not reported as lost', async () => {
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
