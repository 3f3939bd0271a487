// Turns Lockstep's diagnostics_channel events into OpenTelemetry metrics.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type AcquireMessage,
  assertKnownOptions,
  DIAGNOSTICS_CHANNELS,
  describeValue,
  InvalidArgumentError,
  type LeaseMessage,
  type LimiterKind,
  type LostMessage,
  type ReleaseMessage,
} from '@lockstep/core';
import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type ObservableGauge,
  type ObservableResult,
} from '@opentelemetry/api';

/** Options of {@link LockstepMetrics}. */
export interface LockstepMetricsOptions {
  /**
   * Where the instruments are created.
   * @defaultValue the global provider (`metrics.getMeterProvider()`)
   */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * Add the lock or semaphore name as the `lockstep.name` attribute of every measurement. Off by
   * default: names such as `invoice:42` can have unbounded cardinality. The waiters gauge always
   * carries the names you register with {@link LockstepMetrics.observeWaiters}.
   * @defaultValue false
   */
  readonly nameAttribute?: boolean | undefined;
}

/** A lock or semaphore whose waiters the gauge reports (a `Lock` or a `Semaphore`). */
export interface InspectableLimiter {
  readonly name: string;
  readonly kind: LimiterKind;
  inspect(): Promise<{ readonly waiting: number }>;
}

const ACQUIRE_END = `tracing:${DIAGNOSTICS_CHANNELS.acquire}:asyncEnd`;

const LABEL = 'instrumentLockstep() options';

/** Checks the options as every Lockstep package does: typed errors naming the option, before any use. */
function checkOptions(options: unknown): LockstepMetricsOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`Expected ${LABEL} to be an object, got ${describeValue(options)}`);
  }
  assertKnownOptions(options, ['meterProvider', 'nameAttribute'], LABEL);
  const { meterProvider, nameAttribute } = options as LockstepMetricsOptions;
  if (meterProvider !== undefined && typeof (meterProvider as { getMeter?: unknown } | null)?.getMeter !== 'function') {
    throw new InvalidArgumentError(
      `Expected \`meterProvider\` to be a MeterProvider, got ${describeValue(meterProvider)}`,
    );
  }
  if (nameAttribute !== undefined && typeof nameAttribute !== 'boolean') {
    throw new InvalidArgumentError(`Expected \`nameAttribute\` to be a boolean, got ${describeValue(nameAttribute)}`);
  }
  return options as LockstepMetricsOptions;
}
const RELEASE_END = `tracing:${DIAGNOSTICS_CHANNELS.release}:asyncEnd`;

/** Metric names, as recorded. */
export const METRIC_NAMES = Object.freeze({
  acquireWait: 'lockstep.acquire.wait',
  leaseHeld: 'lockstep.lease.held',
  acquireOutcomes: 'lockstep.acquire.outcomes',
  leaseLost: 'lockstep.lease.lost',
  waiters: 'lockstep.waiters',
} as const);

/**
 * Subscribes to Lockstep's diagnostics channels and records:
 * - `lockstep.acquire.wait` (histogram, ms): time from the call to its outcome, by `lockstep.outcome`;
 * - `lockstep.lease.held` (histogram, ms): time from grant to release or loss (for
 *   `lease.releaseAfter(ms)`, to the end it set);
 * - `lockstep.acquire.outcomes` (counter): acquisitions by `lockstep.outcome` (`granted`, `busy`,
 *   `timeout`, `aborted`, `error`), plus `queued` each time one has to wait behind others;
 * - `lockstep.lease.lost` (counter): losses by `lockstep.reason`;
 * - `lockstep.waiters` (observable gauge): queued waiters of each name given to `observeWaiters()`.
 *
 * Every measurement carries `lockstep.kind` (`lock` or `semaphore`). Covers every Lockstep (and
 * in-memory Lockstep) of the process. Call {@link LockstepMetrics.close} to stop.
 */
export class LockstepMetrics {
  readonly #wait: Histogram;
  readonly #held: Histogram;
  readonly #outcomes: Counter;
  readonly #lost: Counter;
  readonly #gauge: ObservableGauge;
  readonly #nameAttribute: boolean;
  readonly #watched = new Set<InspectableLimiter>();
  readonly #cache = new Map<string, Attributes>();
  readonly #subscriptions: [string, (message: unknown) => void][];
  #closed = false;

  /**
   * @param options - `meterProvider`, `nameAttribute`
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an unknown option name or a bad
   *   value, naming it
   */
  constructor(options: LockstepMetricsOptions = {}) {
    options = checkOptions(options);
    const meter: Meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter('@lockstep/otel');
    this.#nameAttribute = options.nameAttribute ?? false;
    this.#wait = meter.createHistogram(METRIC_NAMES.acquireWait, {
      unit: 'ms',
      description: 'Time from an acquire call to its outcome',
    });
    this.#held = meter.createHistogram(METRIC_NAMES.leaseHeld, {
      unit: 'ms',
      description: 'Time a lease was held, from grant to release or loss',
    });
    this.#outcomes = meter.createCounter(METRIC_NAMES.acquireOutcomes, {
      unit: '{acquisition}',
      description: 'Acquisitions by outcome (and how often one had to queue)',
    });
    this.#lost = meter.createCounter(METRIC_NAMES.leaseLost, { unit: '{lease}', description: 'Leases lost' });
    this.#gauge = meter.createObservableGauge(METRIC_NAMES.waiters, {
      unit: '{waiter}',
      description: 'Queued waiters per registered name',
    });
    this.#gauge.addCallback(this.#observe);
    this.#subscriptions = [
      [ACQUIRE_END, (m) => this.#acquired(m as AcquireMessage)],
      [
        DIAGNOSTICS_CHANNELS.queued,
        (m) => this.#outcomes.add(1, this.#attrs(m as AcquireMessage, ['lockstep.outcome', 'queued'])),
      ],
      [RELEASE_END, (m) => this.#released(m as ReleaseMessage)],
      [DIAGNOSTICS_CHANNELS.lost, (m) => this.#lostLease(m as LostMessage)],
    ];
    for (const [name, fn] of this.#subscriptions) subscribe(name, fn);
  }

  /**
   * Reports the queued waiters of `limiter` on the `lockstep.waiters` gauge (one `inspect()` per
   * collection).
   *
   * @returns a function that stops reporting it
   */
  observeWaiters(limiter: InspectableLimiter): () => void {
    this.#watched.add(limiter);
    return () => {
      this.#watched.delete(limiter);
    };
  }

  /** Unsubscribes from the channels and stops the gauge. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [name, fn] of this.#subscriptions) unsubscribe(name, fn);
    this.#gauge.removeCallback(this.#observe);
    this.#watched.clear();
  }

  // Without names the attribute sets are few (kind × outcome): made once each, not per event.
  #attrs(m: { readonly name: string; readonly kind: LimiterKind }, extra?: readonly [string, string]): Attributes {
    if (this.#nameAttribute) return this.#make(m.kind, extra, m.name);
    const key = extra ? `${m.kind}|${extra[0]}|${extra[1]}` : m.kind;
    let attrs = this.#cache.get(key);
    if (!attrs) {
      attrs = this.#make(m.kind, extra, undefined);
      this.#cache.set(key, attrs);
    }
    return attrs;
  }

  #make(kind: LimiterKind, extra: readonly [string, string] | undefined, name: string | undefined): Attributes {
    const attrs: Attributes = { 'lockstep.kind': kind };
    if (extra) attrs[extra[0]] = extra[1];
    if (name !== undefined) attrs['lockstep.name'] = name;
    return Object.freeze(attrs);
  }

  #acquired(m: AcquireMessage): void {
    const attrs = this.#attrs(m, ['lockstep.outcome', m.outcome ?? 'error']);
    this.#outcomes.add(1, attrs);
    if (m.waitedMs !== undefined) this.#wait.record(m.waitedMs, attrs);
  }

  // A `releaseAfter(ms)` keeps the name taken for `afterMs` more: that is part of the hold.
  #released(m: ReleaseMessage): void {
    if (!m.released) return;
    this.#held.record(m.heldMs + (m.afterMs ?? 0), this.#attrs(m));
  }

  #lostLease(m: LostMessage): void {
    this.#lost.add(1, this.#attrs(m, ['lockstep.reason', m.reason]));
    this.#recordHeld(m);
  }

  #recordHeld(m: LeaseMessage): void {
    this.#held.record(m.heldMs, this.#attrs(m));
  }

  // A failed inspect (Redis down) skips that name for this collection instead of failing it.
  readonly #observe = async (result: ObservableResult): Promise<void> => {
    await Promise.all(
      [...this.#watched].map(async (limiter) => {
        const state = await limiter.inspect().catch(() => undefined);
        if (state) result.observe(state.waiting, { 'lockstep.kind': limiter.kind, 'lockstep.name': limiter.name });
      }),
    );
  };
}

/**
 * Starts recording Lockstep's metrics; see {@link LockstepMetrics}.
 *
 * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an unknown option or a bad value
 *
 * @example
 * ```ts
 * const lockstepMetrics = instrumentLockstep({ meterProvider });
 * lockstepMetrics.observeWaiters(lockstep.semaphore('exports', { limit: 5 }));
 * ```
 */
export function instrumentLockstep(options?: LockstepMetricsOptions): LockstepMetrics {
  return new LockstepMetrics(options);
}
