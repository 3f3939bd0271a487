// LockstepTestingModule: the same decorators and injection over core's in-memory backend, for unit
// tests with no Redis that still see exclusion, limits and priorities enforced.
import { Lockstep } from '@lockstep/core';
import { createMemoryLockstep } from '@lockstep/core/testing';
import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { LOCKSTEP_HANDLE } from './lockstep.constants.js';
import { lockstepProviders } from './lockstep.module.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, type LockstepHttpOptions, resolveHttpOptions } from './lockstep.options.js';
import { LockstepHandle } from './lockstep-handle.js';
import type { LockstepBackend } from './registry.js';
import { checkKeys } from './validate.js';

/** Options of `LockstepTestingModule.forRoot()`. */
export interface LockstepTestingModuleOptions {
  /** HTTP statuses for busy and outage errors, as for `LockstepModule`. */
  readonly http?: LockstepHttpOptions | undefined;
  /**
   * Receives background errors.
   * @defaultValue ignore
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/**
 * `LockstepModule` for unit tests: `@Locked`, `@Limited`, `currentLease()` and the injected
 * `Lockstep` work over core's in-memory backend (`createMemoryLockstep()` from
 * `@lockstep/core/testing`), so tests need no Redis and still see exclusion, limits and priority
 * order enforced. Each testing module has its own state; closing the module closes it.
 *
 * @example
 * ```ts
 * const moduleRef = await Test.createTestingModule({
 *   imports: [LockstepTestingModule.forRoot()],
 *   providers: [BillingService],
 * }).compile();
 * ```
 */
@Module({ imports: [DiscoveryModule] })
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class; forRoot() is its API
export class LockstepTestingModule {
  /**
   * @param options - `http`, `onError`
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` for unknown or bad options
   */
  static forRoot(options: LockstepTestingModuleOptions = {}): DynamicModule {
    const o = checkKeys('LockstepTestingModule', options, ['http', 'onError']);
    const http = resolveHttpOptions('LockstepTestingModule', o.http);
    const onError = (o.onError as ((error: unknown) => void) | undefined) ?? (() => undefined);
    const handle: Provider = {
      provide: LOCKSTEP_HANDLE,
      useFactory: () => {
        const lockstep: LockstepBackend = createMemoryLockstep({ onError });
        return new LockstepHandle(lockstep, http, onError, DEFAULT_SHUTDOWN_TIMEOUT_MS, async () => undefined);
      },
    };
    return {
      module: LockstepTestingModule,
      global: true,
      providers: lockstepProviders(handle),
      exports: [Lockstep],
    };
  }
}
