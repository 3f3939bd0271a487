// Type-level checks (compiled by `pnpm typecheck`): key and option functions are typed against the
// decorated method's leading parameters.
import { Limited, Locked } from '../src/index.js';

interface ExportRequest {
  readonly plan: 'pro' | 'free';
}

export class Typed {
  @Locked((invoiceId: string) => `invoice:${invoiceId}`)
  async pay(_invoiceId: string, _amount: number): Promise<void> {}

  @Locked('reports:rollup', { onBusy: 'skip', minHoldMs: 8_000 })
  async rollup(): Promise<void> {}

  @Limited('exports', {
    limit: 5,
    priority: (req: ExportRequest) => (req.plan === 'pro' ? 'critical' : 'bulk'),
    priorities: ['critical', 'bulk'],
    waitMs: 30_000,
  })
  async export(_req: ExportRequest): Promise<void> {}

  @Limited((tenantId: string) => `exports:${tenantId}`, { limit: 2 })
  async exportFor(_tenantId: string): Promise<void> {}

  // @ts-expect-error the key function takes a string, the method a number
  @Locked((invoiceId: string) => `invoice:${invoiceId}`)
  async wrongArgument(_invoiceId: number): Promise<void> {}

  // @ts-expect-error `limit` is required
  @Limited('exports', { waitMs: 1 })
  async noLimit(): Promise<void> {}

  // @ts-expect-error minHoldMs is an option of @Locked only
  @Limited('exports', { limit: 1, minHoldMs: 1 })
  async holdLimited(): Promise<void> {}

  // @ts-expect-error onBusy is 'wait' | 'skip' | 'throw'
  @Locked('x', { onBusy: 'later' })
  async badOnBusy(): Promise<void> {}
}
