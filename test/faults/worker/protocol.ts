// What the parent tells a fault worker (its JSON config and IPC commands) and what it answers.

/** Which lock implementation a worker drives: Lockstep, or one of the deliberately broken ones. */
export type ImplKind = 'lockstep' | 'del-release' | 'extend-recreate' | 'two-rtt-semaphore' | 'first-retry-validity';

/** Where a worker's Redis is. */
export interface TargetConfig {
  readonly kind: 'standalone' | 'cluster' | 'quorum';
  readonly ports: readonly number[];
}

/** A contention loop run by a worker on start. */
export interface LoadConfig {
  readonly mode: 'lock' | 'semaphore';
  readonly names: readonly string[];
  readonly contenders: number;
  /** Acquisitions per contender at most. */
  readonly iterations: number;
  /** The loop stops by itself after this long. */
  readonly durationMs: number;
  readonly ttlMs: number;
  readonly waitMs: number;
  readonly limit?: number;
  /** Weights drawn at random per acquisition (semaphores). */
  readonly weights?: readonly number[];
  /** Hold time, drawn uniformly in [min, max] ms; `untilValidity` holds until 3 ms before the window ends. */
  readonly holdMs: readonly [number, number] | 'untilValidity';
  /** Extends the lease by hand every this many ms while holding (so every extension is recorded). */
  readonly extendEveryMs?: number;
  /** Chance (0..1) that an extension is preceded by a blocking stall of `stallMs` (a GC pause). */
  readonly stallChance?: number;
  readonly stallMs?: number;
  /** Aborts each acquisition after a random delay in [min, max] ms (aborts racing grants). */
  readonly abortAfterMs?: readonly [number, number];
  /** Pause between an acquisition that failed on infrastructure and the next one, ms. */
  readonly failureBackoffMs?: number;
}

/** Everything a worker needs, passed as JSON in argv. */
export interface FaultWorkerConfig {
  /** Process label; contenders are `label.N`. */
  readonly label: string;
  /** History file (JSON lines) this worker appends to. */
  readonly out: string;
  readonly target: TargetConfig;
  readonly prefix: string;
  readonly impl: ImplKind;
  readonly requestTimeoutMs?: number;
  readonly waiterTtlMs?: number;
  /** Port of a server holding fenced resources (for `write`). */
  readonly resourcePort?: number;
  readonly quorum?: {
    readonly nodeTimeoutMs?: number;
    readonly retryDelayMs?: number;
    readonly retryJitterMs?: number;
  };
  readonly load?: LoadConfig;
}

/** A one-off operation the parent asks a worker to do (the worker stays up for the next one). */
export type Command =
  | {
      readonly op: 'acquire';
      readonly mode: 'lock' | 'semaphore';
      readonly name: string;
      readonly ttlMs: number;
      readonly waitMs: number;
      readonly limit?: number;
      readonly weight?: number;
      readonly autoExtend?: boolean;
    }
  | { readonly op: 'extend'; readonly id: string; readonly ttlMs?: number }
  | { readonly op: 'release'; readonly id: string }
  /** Writes the lease's fence to the fenced resource `name` without checking the lease first. */
  | { readonly op: 'write'; readonly id: string }
  | { readonly op: 'status'; readonly id: string }
  /** Blocks the event loop for `ms` (a stall longer than the TTL); answered once it unblocks. */
  | { readonly op: 'block'; readonly ms: number }
  /** Ends the load loop early; the worker exits once its contenders have released. */
  | { readonly op: 'stop' };

/** Answer to one command. */
export interface Reply {
  readonly ok: boolean;
  readonly id?: string;
  readonly fence?: number | null;
  readonly remainingMs?: number;
  readonly released?: boolean;
  readonly accepted?: boolean;
  readonly held?: boolean;
  readonly aborted?: boolean;
  readonly code?: string;
  readonly message?: string;
  /** Extra error detail (e.g. a quorum error's per-node outcomes). */
  readonly detail?: string;
  readonly indeterminate?: boolean;
  /** Host monotonic time the operation finished. */
  readonly t: number;
}

/** Messages a worker sends to its parent. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'reply'; readonly seq: number; readonly reply: Reply }
  | { readonly type: 'lost'; readonly id: string; readonly t: number; readonly reason: string }
  | { readonly type: 'granted'; readonly id: string; readonly name: string; readonly t: number };

/** Messages the parent sends to a worker. */
export interface ParentMessage {
  readonly seq: number;
  readonly command: Command;
}

/** Summary a worker prints as its last stdout line. */
export interface WorkerSummary {
  readonly grants: number;
  readonly failures: Record<string, number>;
  /** Errors that were neither a LockstepError nor expected: each is a finding. */
  readonly unexpected: readonly string[];
  /** Errors Lockstep passed to `onError` (background work; counted, not findings). */
  readonly backgroundErrors: number;
}

/** Exit code of a worker that saw an unhandled rejection (any non-zero code fails the run). */
export const UNHANDLED_EXIT_CODE = 70;
