// POST /invoices/:id/pay's work: under the invoice's lock, charge it in the fenced store.
import { setTimeout as sleep } from 'node:timers/promises';
import { currentLease, Locked } from '@lockstep/nest';
import { Inject, Injectable } from '@nestjs/common';
import { emit, hostNow } from '../evidence.js';
import { INVOICE } from '../settings.js';
import { REPLICA, type ReplicaContext } from './context.js';

/** Blocks the whole process, like a long garbage-collection pause or a suspended VM. */
function stopTheWorld(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

@Injectable()
export class InvoicesService {
  constructor(@Inject(REPLICA) private readonly replica: ReplicaContext) {}

  /**
   * Pays an invoice. Two payments of one invoice never run at once on any replica; a payment whose
   * lock ran out while its process was paused is refused by the store, because a newer holder's
   * fence got there first.
   */
  @Locked((invoice: string) => `invoice:${invoice}`, { ttlMs: INVOICE.ttlMs, waitMs: INVOICE.waitMs })
  async pay(invoice: string, pause: boolean): Promise<'paid' | 'already' | 'stale'> {
    const lease = currentLease();
    if (!lease || lease.fence === undefined) throw new Error('@Locked ran pay() without a fenced lease');
    const t0 = hostNow();
    const v = t0 + lease.remainingMs;
    // The payment provider call; `pause` stalls the process past the lease instead.
    if (pause) stopTheWorld(INVOICE.pauseMs);
    else await sleep(15);
    const result = await this.replica.store.pay(invoice, lease.fence);
    const t1 = hostNow();
    emit({
      k: 'pay',
      replica: this.replica.name,
      invoice,
      fence: lease.fence,
      t0,
      v,
      v1: hostNow() + (lease.expiresAt - Date.now()),
      t1,
      result,
      paused: pause,
    });
    return result;
  }
}
