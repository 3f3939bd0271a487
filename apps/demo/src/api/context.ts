// What one API replica shares between its Nest providers: its name, the fenced store and the queue.
import type { Queue } from 'bullmq';
import type { FencedStore } from './fenced-store.js';

/** Injection token of the {@link ReplicaContext}. */
export const REPLICA = Symbol('demo.replica');

/** One replica's shared parts. */
export interface ReplicaContext {
  /** `api-1`, `api-2`, … */
  readonly name: string;
  readonly store: FencedStore;
  /** The BullMQ queue export jobs go to. */
  readonly exports: Queue;
}

/** Config the orchestrator passes to a replica process. */
export interface ReplicaConfig {
  readonly name: string;
  readonly port: number;
  readonly redisUrl: string;
}
