// POST /exports's work: under one of the tenant's permits (pro users first), snapshot the query and
// enqueue the export job.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentLease, Limited } from '@lockstep/nest';
import { Inject, Injectable } from '@nestjs/common';
import { emit, hostNow } from '../evidence.js';
import { EXPORTS } from '../settings.js';
import { REPLICA, type ReplicaContext } from './context.js';

/** A user's plan: pro users' exports are served before free users' of the same tenant. */
export type Plan = (typeof EXPORTS.plans)[number];

@Injectable()
export class ExportsService {
  constructor(@Inject(REPLICA) private readonly replica: ReplicaContext) {}

  /** Prepares an export: at most `EXPORTS.limit` per tenant at once across every replica. */
  @Limited<[string, Plan]>((tenant) => `exports:${tenant}`, {
    limit: EXPORTS.limit,
    priorities: EXPORTS.plans,
    priority: (_tenant, plan) => plan,
    waitMs: EXPORTS.waitMs,
  })
  async prepare(tenant: string, plan: Plan, arrived: number): Promise<string> {
    const t0 = hostNow();
    await sleep(150 + randomInt(150)); // snapshot the rows to export
    const job = await this.replica.exports.add('export', { tenant, plan }, { removeOnComplete: 1_000 });
    const jobId = job.id ?? '';
    const t1 = hostNow();
    emit({
      k: 'export',
      replica: this.replica.name,
      tenant,
      plan,
      limit: EXPORTS.limit,
      arrived,
      t0,
      t1,
      v1: hostNow() + ((currentLease()?.expiresAt ?? 0) - Date.now()),
      jobId,
    });
    return jobId;
  }
}
