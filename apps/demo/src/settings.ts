// The demo's numbers in one place: what every process uses and what the verdict checks against.

/** Lockstep prefix of every lock and semaphore the demo takes (and the dashboard shows). */
export const PREFIX = 'demo';

/** Invoice payments: the lock's lease, and how long a "paused" payment stalls its whole process. */
export const INVOICE = Object.freeze({ ttlMs: 500, pauseMs: 1_200, waitMs: 8_000 });

/** Export requests: permits per tenant, and the plans, highest priority first. */
export const EXPORTS = Object.freeze({ limit: 2, plans: ['pro', 'free'] as const, waitMs: 6_000 });

/** The cron rollup: fires every `periodS` seconds on every replica; runs once per tick. */
export const CRON = Object.freeze({ periodS: 3, minHoldMs: 2_400 });

/** The schedule slot a cron fire at `nowMs` belongs to (tolerates fires a little early or very late). */
export function slotOf(nowMs: number): number {
  return Math.floor(nowMs / 1_000 / CRON.periodS + 0.1);
}

/** GET /reports/:id: reports rendered at once across all replicas. */
export const REPORTS = Object.freeze({ name: 'reports', limit: 3, waitMs: 8_000, ttlMs: 30_000, renderMs: 250 });

/** The BullMQ export queue: worker slots per process, and jobs per tenant at once across workers. */
export const JOBS = Object.freeze({ queue: 'exports', prefix: 'demo-bull', concurrency: 6, fallbackDelayMs: 5_000 });

/** Tenants: the noisy one gets more job permits (a bigger contract), the rest 1 or 2. */
export const TENANTS = Object.freeze(['acme', 'globex', 'initech', 'umbrella'] as const);

/** Export jobs of one tenant allowed to run at once across both workers. */
export function jobLimit(tenant: string): number {
  if (tenant === 'acme') return 3;
  return tenant === 'umbrella' ? 1 : 2;
}

/** The job key `limitProcessor` limits by. */
export function jobKey(tenant: string): string {
  return `jobs:${tenant}`;
}

/** BullMQ connection options for a `redis://` URL (workers need `maxRetriesPerRequest: null`). */
export function bullConnection(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    maxRetriesPerRequest: null,
  };
}
