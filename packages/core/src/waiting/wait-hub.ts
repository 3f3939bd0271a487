// One subscriber connection per Lockstep: subscribed, per name that has local waiters, to the name's
// shared channel and to this instance's own channel of the name, dispatching each message to the
// waiter whose id it carries.
import { randomInt } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { LockstepError } from '../errors.js';
import type { RedisClient } from '../redis/scripts.js';
import { monotonicNow } from '../util/clock.js';

/** Receives the payload of a grant message addressed to one waiter, or `null` to re-check now. */
export type WaitHandler = (message: string | null) => void;

interface ChannelState {
  readonly waiters: Map<string, WaitHandler>;
  ready: Promise<void>;
  /** True once the subscription is active: messages published from then on reach us. */
  active: boolean;
  /** Per waiter: whether the subscription was still inactive when it registered. */
  readonly fresh: Map<string, boolean>;
  linger: NodeJS.Timeout | undefined;
  /** Claims handed to waiters of other processes, by waiter id: when one lapses, re-check. */
  readonly claims: Map<string, NodeJS.Timeout>;
  /** The name's re-check (see {@link WaitHub.recheckIn}), due at `recheckAt` (monotonic ms). */
  recheck: NodeJS.Timeout | undefined;
  recheckAt: number;
}

/** How long a channel stays subscribed after its last local waiter left, to avoid churn. */
const LINGER_MS = 5_000;
/** How long after a claim window a waiter re-checks (plus up to as much jitter), so processes do not herd. */
const CLAIM_MARGIN_MS = 50;
/**
 * Ids whose grant was handed over locally, remembered so their pushed copy is ignored. Past this
 * many (pushed copies lost with the subscriber) the oldest is forgotten: its copy, if it still
 * comes, is then treated as a grant to another process, which costs one timer and nothing else.
 */
const MAX_HANDED = 1_024;

function isCluster(client: RedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/**
 * Owns the subscriber connection (a `duplicate()` of the user's client, created on first use) and
 * the subscriptions. Per name it listens on two channels (one subscribe command): the name's
 * channel `C`, where the rare messages for every waiting process go ("|r", "id|k"), and its own
 * channel `C:<prefix>` (the prefix of this instance's request ids), where scripts send the grants
 * to this instance's waiters and the grants this instance watches as a claim watcher (its waiter
 * queued next after the served one). Both share C's hash tag, so one slot and one shard. Uses sharded pub/sub (`SSUBSCRIBE`) where the server has it and falls back to
 * `SUBSCRIBE` on servers before Redis 7. A lost message is never fatal: waiters re-check on timers,
 * and every waiter is poked to re-check when the subscriber reconnects.
 */
export class WaitHub {
  #subscriber: Redis | Cluster | undefined;
  #sharded = true;
  #channels = new Map<string, ChannelState>();
  #handlers = new Map<string, WaitHandler>();
  #closed = false;
  #readyOnce = false;
  /** Ids served by local hand-off whose pushed message has not come yet (insertion order). */
  readonly #handed = new Set<string>();

  /**
   * @param client - the user's client; never used in subscribe mode itself
   * @param onError - receives background errors of the subscriber (never thrown)
   */
  constructor(
    private readonly client: RedisClient,
    prefix: string,
    private readonly onError: (error: Error) => void,
  ) {
    this.#suffix = `:${prefix}`;
    this.#idPrefix = `${prefix}.`;
  }

  /** `<prefix>.`: how this instance's request ids begin. */
  readonly #idPrefix: string;

  /** `:<prefix>`: a name's channel plus this suffix is this instance's own channel of the name. */
  readonly #suffix: string;

  /** The number of channels currently subscribed. */
  get channelCount(): number {
    return this.#channels.size;
  }

  #ensureSubscriber(): Redis | Cluster {
    if (this.#subscriber) return this.#subscriber;
    const sub = isCluster(this.client)
      ? this.client.duplicate([], { shardedSubscribers: true })
      : this.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    sub.on('error', (err: Error) => this.onError(err));
    const onMessage = (channel: string, message: string) => this.#dispatch(channel, message);
    sub.on('smessage', onMessage);
    sub.on('message', onMessage);
    // A new connection's socket is referenced: while nobody waits it must not keep the process alive.
    sub.on('connect', () => this.#holdProcess(this.#handlers.size > 0));
    sub.on('ready', () => {
      // After a reconnect ioredis re-subscribes; messages sent meanwhile are lost, so re-check.
      if (this.#readyOnce) this.#pokeAll();
      this.#readyOnce = true;
    });
    this.#subscriber = sub;
    return sub;
  }

  /**
   * References the subscriber's socket while a local waiter waits, and unreferences it otherwise, so
   * a script that used a lock exits on its own (Node's `socket.unref()`). A Cluster subscriber has
   * several sockets: it is closed instead once its channels' linger ends.
   */
  #holdProcess(hold: boolean): void {
    const sub = this.#subscriber;
    if (!sub || isCluster(sub)) return;
    const stream = (sub as unknown as { stream?: { ref?: () => void; unref?: () => void } }).stream;
    if (hold) stream?.ref?.();
    else stream?.unref?.();
  }

  /** Closes the subscriber once no channel is subscribed; the next wait opens a new one. */
  #closeIdle(): void {
    const sub = this.#subscriber;
    if (!sub || this.#channels.size > 0) return;
    this.#subscriber = undefined;
    this.#readyOnce = false;
    sub.quit().catch(() => sub.disconnect());
  }

  #dispatch(channel: string, message: string): void {
    const parts = message.split('|');
    const id = parts[0] as string;
    if (parts[1] === 'k') {
      // A claim was turned into a lease (or released): nobody needs to re-check for it.
      this.#claimSettled(channel, id);
      return;
    }
    if (parts[1] === 'r') {
      // A call on the name ran out of budget while dead waiters hid the live ones: one local
      // waiter re-checks at once, and its attempt scans on (and serves the first live waiter).
      const first = this.#state(channel)?.waiters.values().next();
      if (first && !first.done) first.value(null);
      return;
    }
    // A grant made by a release may say, as its fifth field, whose claim that release settled.
    if (parts.length > 4) this.#claimSettled(channel, parts[4] as string);
    // A grant to one of our waiters heard on the name's shared channel (sent there when no other
    // instance watches its claim): its copy on our own channel is the one acted on.
    if (id.startsWith(this.#idPrefix) && !channel.endsWith(this.#suffix)) return;
    // The pushed copy of a grant already handed over locally: it was acted on.
    if (this.#handed.delete(id)) return;
    const handler = this.#handlers.get(id);
    if (handler) {
      handler(message);
      return;
    }
    const claimMs = Number(parts[3]);
    if (parts.length >= 4 && claimMs > 0) this.#watchClaim(channel, id, claimMs);
  }

  /**
   * Local hand-off: gives each message (a grant or rejection a script of this process announced)
   * to the local waiter it names, at once, and remembers the id so the pushed copy is ignored.
   * Messages for waiters of other processes are left to pub/sub.
   */
  deliver(messages: readonly string[]): void {
    for (const message of messages) {
      const id = message.slice(0, message.indexOf('|'));
      const handler = this.#handlers.get(id);
      if (!handler) continue;
      if (this.#handed.size >= MAX_HANDED) this.#handed.delete(this.#handed.values().next().value as string);
      this.#handed.add(id);
      handler(message);
    }
  }

  #state(channel: string): ChannelState | undefined {
    const prefix = this.#prefixed('');
    let key = prefix && channel.startsWith(prefix) ? channel.slice(prefix.length) : channel;
    // This instance's own channel of the name maps to the name's state.
    if (key.endsWith(this.#suffix)) key = key.slice(0, -this.#suffix.length);
    return this.#channels.get(key) ?? this.#channels.get(channel);
  }

  /**
   * A grant went to a waiter of another instance as a claim of `claimMs`, and this instance heard it
   * as a claim watcher (one of its waiters is queued right after the claimant; or the grant came on
   * the name's shared channel, from a client of an older release). If that waiter died, nobody
   * takes it up, and only a transition on the name passes it on: so when the claim window ends
   * without its "taken" message, one local waiter of the name re-checks (its attempt purges the
   * lapsed claim and serves the queue, announcing the next grant to its instance and watchers).
   */
  #watchClaim(channel: string, id: string, claimMs: number): void {
    const state = this.#state(channel);
    if (!state || state.waiters.size === 0) return;
    clearTimeout(state.claims.get(id));
    const timer = setTimeout(
      () => {
        state.claims.delete(id);
        const first = state.waiters.values().next();
        if (!first.done) first.value(null);
      },
      claimMs + CLAIM_MARGIN_MS + randomInt(0, CLAIM_MARGIN_MS),
    );
    timer.unref();
    state.claims.set(id, timer);
  }

  #claimSettled(channel: string, id: string): void {
    const state = this.#state(channel);
    const timer = state?.claims.get(id);
    if (!state || !timer) return;
    clearTimeout(timer);
    state.claims.delete(id);
  }

  /**
   * Re-checks the name once for all its local waiters, `ms` from now (or sooner, if already due
   * sooner): its first local waiter is poked, and its attempt purges a holder that died and serves
   * the queue (announcing the grant as usual). Waiters that are subscribed sleep on this instead of
   * one timer and one attempt each, so the cost of watching for a dead holder does not grow with
   * the depth of the queue. After each poke the next re-check is armed `fallbackMs` later, in case
   * the poked waiter leaves before its attempt arms an earlier one.
   */
  recheckIn(channel: string, ms: number, fallbackMs: number): void {
    const state = this.#channels.get(channel);
    if (!state || this.#closed) return;
    const at = monotonicNow() + ms;
    if (state.recheck && state.recheckAt <= at) return;
    clearTimeout(state.recheck);
    state.recheckAt = at;
    state.recheck = setTimeout(() => {
      state.recheck = undefined;
      const first = state.waiters.values().next();
      if (first.done) return;
      this.recheckIn(channel, fallbackMs, fallbackMs);
      first.value(null);
    }, ms);
    state.recheck.unref();
  }

  #pokeAll(): void {
    for (const handler of [...this.#handlers.values()]) handler(null);
  }

  /** A name's two channels: the shared one and this instance's own (same hash tag, same slot). */
  #pair(channel: string): [string, string] {
    return [channel, `${channel}${this.#suffix}`];
  }

  async #subscribe(channel: string): Promise<void> {
    const sub = this.#ensureSubscriber();
    const channels = this.#pair(channel);
    if (this.#sharded) {
      try {
        await sub.ssubscribe(...channels);
        return;
      } catch (err) {
        if (!/unknown command/i.test(String((err as Error).message))) throw err;
        this.#sharded = false;
      }
    }
    // SUBSCRIBE channels are not keys, so ioredis does not add keyPrefix: add it ourselves.
    await sub.subscribe(...channels.map((c) => this.#prefixed(c)));
  }

  #prefixed(channel: string): string {
    const options = (this.client as Redis).options as { keyPrefix?: string } | undefined;
    const clusterOptions = isCluster(this.client) ? this.client.options : undefined;
    const keyPrefix = clusterOptions?.keyPrefix ?? options?.keyPrefix ?? '';
    return `${keyPrefix}${channel}`;
  }

  #unsubscribe(channel: string): void {
    const sub = this.#subscriber;
    if (!sub) return;
    const channels = this.#pair(channel);
    const done = this.#sharded
      ? sub.sunsubscribe(...channels)
      : sub.unsubscribe(...channels.map((c) => this.#prefixed(c)));
    done.catch((err: Error) => this.onError(err));
  }

  /**
   * Registers a waiter before its request is sent, if the channel already has a subscription, so a
   * grant published before the request's reply arrives still finds its handler. Returns false (and
   * registers nothing) when the channel is not subscribed: the caller then uses {@link watch} after
   * the request and re-checks once.
   */
  preRegister(channel: string, id: string, handler: WaitHandler): boolean {
    if (this.#closed) return false;
    const state = this.#channels.get(channel);
    if (!state) return false;
    this.#attach(state, id, handler);
    return true;
  }

  #attach(state: ChannelState, id: string, handler: WaitHandler): void {
    if (state.linger) {
      clearTimeout(state.linger);
      state.linger = undefined;
    }
    if (!state.waiters.has(id)) state.fresh.set(id, !state.active);
    state.waiters.set(id, handler);
    this.#handlers.set(id, handler);
    if (this.#handlers.size === 1) this.#holdProcess(true);
  }

  /**
   * Registers a waiter on a channel (subscribing if needed) and resolves once the subscription is
   * active. `fresh` is true when it was not active yet as this waiter registered, in which case a
   * grant published meanwhile may have been missed and the caller must re-check once.
   */
  async watch(channel: string, id: string, handler: WaitHandler): Promise<{ fresh: boolean }> {
    if (this.#closed) throw new LockstepError('ERR_CLOSED', 'This Lockstep instance is closed');
    let state = this.#channels.get(channel);
    if (!state) {
      const created: ChannelState = {
        waiters: new Map(),
        fresh: new Map(),
        ready: Promise.resolve(),
        active: false,
        linger: undefined,
        claims: new Map(),
        recheck: undefined,
        recheckAt: 0,
      };
      created.ready = this.#subscribe(channel).then(
        () => {
          created.active = true;
        },
        (err: unknown) => {
          if (this.#channels.get(channel) === created) this.#channels.delete(channel);
          throw err;
        },
      );
      this.#channels.set(channel, created);
      state = created;
    }
    this.#attach(state, id, handler);
    await state.ready;
    return { fresh: state.fresh.get(id) ?? true };
  }

  /** Removes a waiter; the channel is unsubscribed after a short linger when nobody waits. */
  unwatch(channel: string, id: string): void {
    if (this.#handlers.delete(id) && this.#handlers.size === 0) this.#holdProcess(false);
    const state = this.#channels.get(channel);
    if (!state) return;
    state.waiters.delete(id);
    state.fresh.delete(id);
    if (state.waiters.size > 0 || state.linger || this.#closed) return;
    state.linger = setTimeout(() => {
      if (state.waiters.size > 0) return;
      for (const timer of state.claims.values()) clearTimeout(timer);
      clearTimeout(state.recheck);
      this.#channels.delete(channel);
      // The last channel: close the subscriber instead (no process stays alive for it).
      if (this.#channels.size === 0) this.#closeIdle();
      else this.#unsubscribe(channel);
    }, LINGER_MS);
    state.linger.unref();
  }

  /** Drops every subscription and the subscriber connection; waiters are woken to notice. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pokeAll();
    for (const state of this.#channels.values()) {
      if (state.linger) clearTimeout(state.linger);
      clearTimeout(state.recheck);
      for (const timer of state.claims.values()) clearTimeout(timer);
    }
    this.#channels.clear();
    this.#handlers.clear();
    this.#handed.clear();
    const sub = this.#subscriber;
    this.#subscriber = undefined;
    if (sub) {
      try {
        await sub.quit();
      } catch {
        sub.disconnect();
      }
    }
  }
}
