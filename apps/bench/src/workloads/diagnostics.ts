// The cost of observability: uncontended Lockstep pairs with nobody subscribed to its diagnostics
// channels, and with the OpenTelemetry bridge (@lockstep/otel) attached to a real SDK meter.
import { createMemoryLockstep } from '@lockstep/core/testing';
import { instrumentLockstep } from '@lockstep/otel';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { BenchContext } from '../context.js';
import type { LibraryInstance, LibraryRow } from '../libraries/library.js';
import { LOCKSTEP_ROWS } from '../libraries/lockstep.js';
import type { RowResult } from '../results.js';
import { interleave } from '../rounds.js';
import { uncontendedRound } from './uncontended.js';

const plain = LOCKSTEP_ROWS[0] as LibraryRow;

/** The in-memory backend (`@lockstep/core/testing`): no network, so Lockstep's own cost shows. */
const memory: LibraryRow = {
  ...plain,
  id: 'lockstep:memory',
  setting: 'in-memory backend, no subscriber',
  create(): LibraryInstance {
    const lockstep = createMemoryLockstep();
    let pairs = 0;
    return {
      mutex(key) {
        const lock = lockstep.lock(key);
        return {
          acquire: async () => {
            // Memory never waits on I/O: yield to the event loop now and then, or the round's timers never fire.
            if (++pairs % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
            const lease = await lock.acquire({ waitMs: 0 });
            return {
              release: async () => {
                await lease.release();
              },
            };
          },
        };
      },
      semaphore: undefined,
      close: () => lockstep.close(),
    };
  },
};

/** `row` with the OTel bridge recording into an SDK meter while it runs. */
function withOtel(row: LibraryRow, id: string, setting: string): LibraryRow {
  return {
    ...row,
    id,
    setting,
    create(clients) {
      const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
      const provider = new MeterProvider({ readers: [reader] });
      const bridge = instrumentLockstep({ meterProvider: provider });
      const inner = row.create(clients);
      return {
        ...inner,
        close: async () => {
          bridge.close();
          await provider.shutdown();
          await inner.close();
        },
      };
    },
  };
}

const BRIDGE = '@lockstep/otel attached (SDK MeterProvider, in-memory exporter; every event recorded)';

/** Rows of the workload, each pair interleaved over rounds: Redis, then the in-memory backend. */
export const DIAGNOSTICS_ROWS: readonly LibraryRow[] = [
  { ...plain, setting: 'Redis, no subscriber' },
  withOtel(plain, 'lockstep:otel', `Redis, ${BRIDGE}`),
  memory,
  withOtel(memory, 'lockstep:memory:otel', `in-memory backend, ${BRIDGE}`),
];

/** Sequential uncontended pairs, no subscriber vs. the OTel bridge. */
export async function diagnostics(ctx: BenchContext): Promise<RowResult[]> {
  const shape = { name: 'diagnostics', callers: 1, servers: ctx.single };
  return await interleave(ctx, 'diagnostics', DIAGNOSTICS_ROWS, (row, r) => uncontendedRound(ctx, shape, row, r));
}
