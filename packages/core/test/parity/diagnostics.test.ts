// Both backends publish the same diagnostics_channel events, and never a token.
import * as diagnostics from 'node:diagnostics_channel';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../../test/support/fixtures.js';
import { DIAGNOSTICS_CHANNELS } from '../../src/index.js';
import { BACKENDS } from './backends.js';

const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;
const TRACED = [DIAGNOSTICS_CHANNELS.acquire, DIAGNOSTICS_CHANNELS.release, DIAGNOSTICS_CHANNELS.extend];

interface Seen {
  readonly channel: string;
  readonly message: Record<string, unknown>;
}

const undo: (() => void)[] = [];
afterEach(() => {
  for (const fn of undo.splice(0)) fn();
});

function record(): Seen[] {
  const seen: Seen[] = [];
  const names = [
    ...TRACED.flatMap((name) => EVENTS.map((event) => `tracing:${name}:${event}`)),
    DIAGNOSTICS_CHANNELS.queued,
    DIAGNOSTICS_CHANNELS.lost,
  ];
  for (const channel of names) {
    const fn = (message: unknown) => seen.push({ channel, message: { ...(message as Record<string, unknown>) } });
    subscribe(channel, fn);
    undo.push(() => unsubscribe(channel, fn));
  }
  return seen;
}

describe.each(BACKENDS)('diagnostics parity: $name', ({ create }) => {
  it('traces grants, queueing, timeouts, releases, extensions and losses, without tokens', async () => {
    const seen = record();
    const lock = create().lock('traced', { ttlMs: 300 });
    const lease = await lock.acquire();
    await lease.extend();
    await expect(lock.acquire({ waitMs: 100 })).rejects.toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    expect(await lock.tryAcquire()).toBeNull();
    expect(await lease.release()).toBe(true);
    const lost = await lock.acquire({ onLost: () => undefined });
    await eventually(() => lost.signal.aborted);

    const ends = seen.filter((s) => s.channel === `tracing:${DIAGNOSTICS_CHANNELS.acquire}:asyncEnd`);
    expect(ends.map((s) => s.message.outcome)).toEqual(['granted', 'timeout', 'busy', 'granted']);
    expect(ends[0]?.message).toMatchObject({ name: 'traced', kind: 'lock', fence: lease.fence, weight: 1 });
    expect(ends[1]?.message).toMatchObject({ queued: true, waitMs: 100 });
    expect(ends[1]?.message.waitedMs).toBeGreaterThanOrEqual(90);
    expect(seen.filter((s) => s.channel === DIAGNOSTICS_CHANNELS.queued)).toHaveLength(1);
    expect(seen.some((s) => s.channel === `tracing:${DIAGNOSTICS_CHANNELS.acquire}:error`)).toBe(true);
    const release = seen.find((s) => s.channel === `tracing:${DIAGNOSTICS_CHANNELS.release}:asyncEnd`);
    expect(release?.message).toMatchObject({ name: 'traced', kind: 'lock', fence: lease.fence, released: true });
    expect(release?.message.heldMs).toBeGreaterThanOrEqual(0);
    const extend = seen.find((s) => s.channel === `tracing:${DIAGNOSTICS_CHANNELS.extend}:asyncEnd`);
    expect(extend?.message).toMatchObject({ auto: false, ttlMs: 300, outcome: 'extended' });
    const losses = seen.filter((s) => s.channel === DIAGNOSTICS_CHANNELS.lost);
    expect(losses.map((s) => s.message)).toEqual([expect.objectContaining({ fence: lost.fence, reason: 'expired' })]);
    const text = JSON.stringify(seen.map((s) => ({ ...s.message, error: String(s.message.error ?? '') })));
    expect(text).not.toContain(lease.token);
    expect(text).not.toContain(lost.token);
  });

  it('traces releaseAfter(ms) as a release with afterMs, not as an extension', async () => {
    const seen = record();
    const lock = create().lock('traced-after', { ttlMs: 10_000 });
    const lease = await lock.acquire();
    expect(await lease.releaseAfter(50)).toBe(true);
    const releases = seen.filter((s) => s.channel === `tracing:${DIAGNOSTICS_CHANNELS.release}:asyncEnd`);
    expect(releases.map((s) => s.message)).toEqual([
      expect.objectContaining({ name: 'traced-after', fence: lease.fence, afterMs: 50, released: true }),
    ]);
    expect(seen.some((s) => s.channel.startsWith(`tracing:${DIAGNOSTICS_CHANNELS.extend}:`))).toBe(false);
    // Not held any more: a second call is no release.
    expect(await lease.releaseAfter(50)).toBe(false);
    expect(seen.filter((s) => s.channel === `tracing:${DIAGNOSTICS_CHANNELS.release}:asyncEnd`)).toHaveLength(1);
    // Its expiry is no loss.
    await eventually(async () => (await lock.tryAcquire()) !== null);
    expect(seen.some((s) => s.channel === DIAGNOSTICS_CHANNELS.lost)).toBe(false);
  });

  it("Node's own tracingChannel() sees the events (what APM tools subscribe with)", async () => {
    type Handlers = Partial<Record<(typeof EVENTS)[number], (message: unknown) => void>>;
    const tracing = (
      diagnostics as unknown as {
        tracingChannel(name: string): { subscribe(h: Handlers): void; unsubscribe(h: Handlers): void };
      }
    ).tracingChannel;
    const seen: string[] = [];
    const handlers: Handlers = Object.fromEntries(EVENTS.map((event) => [event, () => seen.push(event)]));
    const channel = tracing(DIAGNOSTICS_CHANNELS.acquire);
    channel.subscribe(handlers);
    undo.push(() => channel.unsubscribe(handlers));
    const lock = create().lock('node-tracing');
    await (await lock.acquire()).release();
    await expect(lock.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    const granted = ['start', 'end', 'asyncStart', 'asyncEnd'];
    expect(seen).toEqual([...granted, 'start', 'end', 'error', 'asyncStart', 'asyncEnd']);
  });

  it('semaphores publish their kind and weight', async () => {
    const seen = record();
    const sem = create().semaphore('traced-sem', { limit: 3 });
    await sem.withPermit(async () => undefined, { weight: 2 });
    const end = seen.find((s) => s.channel === `tracing:${DIAGNOSTICS_CHANNELS.acquire}:asyncEnd`);
    expect(end?.message).toMatchObject({ kind: 'semaphore', weight: 2, outcome: 'granted' });
    const release = seen.find((s) => s.channel === `tracing:${DIAGNOSTICS_CHANNELS.release}:asyncEnd`);
    expect(release?.message).toMatchObject({ kind: 'semaphore', weight: 2, released: true });
  });
});
