// redlock 4.x ships no type declarations: the part of its API the benchmark uses.
declare module 'redlock' {
  import type { Redis } from 'ioredis';

  namespace Redlock {
    interface Options {
      driftFactor?: number;
      retryCount?: number;
      retryDelay?: number;
      retryJitter?: number;
    }
    interface Lock {
      readonly value: string;
      unlock(): PromiseLike<void>;
    }
  }

  class Redlock {
    constructor(clients: Redis[], options?: Redlock.Options);
    lock(resource: string | string[], ttl: number): PromiseLike<Redlock.Lock>;
    on(event: 'clientError', listener: (error: Error) => void): this;
    static LockError: new (
      message?: string,
    ) => Error;
  }

  export = Redlock;
}
