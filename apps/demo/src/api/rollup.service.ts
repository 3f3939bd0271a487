// The cron rollup: fires on every replica every CRON.periodS seconds; the lock lets one run per tick.
import { setTimeout as sleep } from 'node:timers/promises';
import { currentLease, Locked } from '@lockstep/nest';
import { Inject, Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { emit } from '../evidence.js';
import { CRON, slotOf } from '../settings.js';
import { REPLICA, type ReplicaContext } from './context.js';

const EVERY_PERIOD = `*/${CRON.periodS} * * * * *`;

@Injectable()
export class RollupService {
  constructor(@Inject(REPLICA) private readonly replica: ReplicaContext) {}

  /** Records that this replica's scheduler fired (evidence for "runs per tick"). */
  @Cron(EVERY_PERIOD)
  fired(): void {
    emit({ k: 'cron-fire', replica: this.replica.name, slot: slotOf(Date.now()) });
  }

  /**
   * The nightly-style rollup, every few seconds here. `onBusy: 'skip'`: replicas that find the lock
   * taken skip the tick. `minHoldMs`: a fast run keeps the lock until most of the period has passed,
   * so a replica whose timer fires late (its clock behind, its event loop paused) still skips.
   */
  @Cron(EVERY_PERIOD)
  @Locked('cron:rollup', { onBusy: 'skip', minHoldMs: CRON.minHoldMs })
  async rollup(): Promise<void> {
    emit({ k: 'cron-run', replica: this.replica.name, slot: slotOf(Date.now()), fence: currentLease()?.fence ?? 0 });
    await sleep(50);
  }
}
