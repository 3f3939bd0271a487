// One semaphore acquisition as the acquisition loop sees it: the engine plus the permit asked for.

import type { LeaseDriver } from '../lease/lease-driver.js';
import { parsePushed } from '../redis/replies.js';
import type { AttemptReply, Contender, PushedReply } from '../waiting/contender.js';
import type { PermitRequest } from './semaphore.js';

/** What a contender asks of the semaphore engine (the engine is the lease driver too). */
export interface SemaphoreAttempts extends LeaseDriver {
  readonly name: string;
  readonly channel: string;
  readonly settings: Pick<Contender, 'ttlMs' | 'waiterTtlMs' | 'maxWaiters'> & {
    readonly limit: number;
    readonly classes: ReadonlyMap<string, number>;
  };
  attempt(id: string, token: string, wait: boolean, permit: PermitRequest, first?: boolean): Promise<AttemptReply>;
  giveUp(id: string, token: string): Promise<number>;
  heartbeat(ids: readonly string[]): Promise<string[]>;
}

/**
 * The semaphore side of the contender contract ({@link RedisLockEngine} is the lock side): a
 * permit's weight and priority vary per acquisition, so each acquisition gets one of these.
 */
export class SemaphoreContender implements Contender {
  readonly name: string;
  readonly channel: string;
  readonly ttlMs: number;
  readonly weight: number;
  readonly maxWaiters: number;
  readonly waiterTtlMs: number;
  readonly driver: LeaseDriver;
  /** The limit, for grant statistics. */
  readonly limit: number;
  /** Named priority classes, for grant statistics. */
  readonly classes: ReadonlyMap<string, number>;

  constructor(
    private readonly engine: SemaphoreAttempts,
    private readonly permit: PermitRequest,
  ) {
    const s = engine.settings;
    this.name = engine.name;
    this.channel = engine.channel;
    this.ttlMs = s.ttlMs;
    this.weight = permit.weight;
    this.maxWaiters = s.maxWaiters;
    this.waiterTtlMs = s.waiterTtlMs;
    this.driver = engine;
    this.limit = s.limit;
    this.classes = s.classes;
  }

  attempt(id: string, token: string, wait: boolean, first?: boolean): Promise<AttemptReply> {
    return this.engine.attempt(id, token, wait, this.permit, first);
  }

  giveUp(id: string, token: string): Promise<number> {
    return this.engine.giveUp(id, token);
  }

  parse(message: string): PushedReply {
    return parsePushed(message);
  }

  heartbeat(ids: readonly string[]): Promise<string[]> {
    return this.engine.heartbeat(ids);
  }
}
