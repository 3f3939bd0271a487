// The cost of observability: uncontended Lockstep pairs with nobody subscribed to its diagnostics
// channels, and with the OpenTelemetry bridge (@lockstep/otel) attached to a real SDK meter.
import { instrumentLockstep } from '@lockstep/otel';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { BenchContext } from '../context.js';
import type { LibraryRow } from '../libraries/library.js';
import { LOCKSTEP_ROWS } from '../libraries/lockstep.js';
import type { RowResult } from '../results.js';
import { interleave } from '../rounds.js';
import { uncontendedRound } from './uncontended.js';

const plain = LOCKSTEP_ROWS[0] as LibraryRow;

/** The same Lockstep row, with the OTel bridge recording into an SDK meter while it runs. */
const withOtel: LibraryRow = {
  ...plain,
  id: 'lockstep:otel',
  setting: '@lockstep/otel attached (SDK MeterProvider, in-memory exporter; every event recorded)',
  create(clients) {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const bridge = instrumentLockstep({ meterProvider: provider });
    const inner = plain.create(clients);
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

/** Sequential uncontended pairs, no subscriber vs. the OTel bridge, interleaved over rounds. */
export async function diagnostics(ctx: BenchContext): Promise<RowResult[]> {
  const shape = { name: 'diagnostics', callers: 1, servers: ctx.single };
  return await interleave(ctx, 'diagnostics', [{ ...plain, setting: 'no subscriber' }, withOtel], (row, r) =>
    uncontendedRound(ctx, shape, row, r),
  );
}
