// LockstepModule: provides core's Lockstep for injection and runs the backend of the decorators.
import { DEFAULT_LOCKSTEP_OPTIONS, Lockstep } from '@lockstep/core';
import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { Redis } from 'ioredis';
import { LOCKSTEP_HANDLE } from './lockstep.constants.js';
import { LockstepExceptionFilter } from './lockstep.filter.js';
import { LockstepLifecycle } from './lockstep.lifecycle.js';
import {
  type LOCKSTEP_ASYNC_OPTIONS_TYPE,
  LOCKSTEP_MODULE_OPTIONS,
  type LOCKSTEP_OPTIONS_TYPE,
  LockstepConfigurableModule,
} from './lockstep.module-definition.js';
import {
  checkModuleOptions,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type LockstepModuleOptions,
  resolveHttpOptions,
} from './lockstep.options.js';
import { LockstepHandle } from './lockstep-handle.js';
import type { LockstepBackend } from './registry.js';
import { LockstepRequestInterceptor } from './request-signal.js';

function defaultOnError(): (error: unknown) => void {
  const logger = new Logger('Lockstep');
  return (error) => logger.warn(error instanceof Error ? error.message : String(error));
}

function createHandle(raw: LockstepModuleOptions): LockstepHandle {
  const options = checkModuleOptions(raw);
  const http = resolveHttpOptions('LockstepModule', options.http);
  const onError = options.onError ?? defaultOnError();
  const { http: _http, redis, shutdownTimeoutMs: _shutdown, ...core } = options;
  // Connected when the module initialises (see LockstepHandle.open), not here: an application whose
  // start fails after this provider was created (another provider throws) is never closed, and a
  // connected client would keep its process alive.
  const owned = typeof redis === 'string' ? new Redis(redis, { lazyConnect: true }) : undefined;
  owned?.on('error', onError);
  let lockstep: Lockstep;
  try {
    lockstep = new Lockstep({ ...core, onError, redis: owned ?? (redis as Exclude<typeof redis, string>) });
  } catch (err) {
    owned?.disconnect();
    throw err;
  }
  return new LockstepHandle(
    lockstep,
    http,
    onError,
    options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    async () => {
      if (owned) await quitOwned(owned, options.requestTimeoutMs ?? DEFAULT_LOCKSTEP_OPTIONS.requestTimeoutMs);
    },
    () => {
      // Failures reach `onError` through the client's 'error' event; commands retry the connection.
      if (owned?.status === 'wait') owned.connect().catch(noop);
    },
  );
}

/**
 * Quits the client the module created. QUIT is only sent over a ready connection, and waited for at
 * most `timeoutMs`: while Redis is unreachable ioredis queues it behind the commands already waiting
 * to be sent, so it would never resolve and `app.close()` would hang for the whole outage.
 */
async function quitOwned(owned: Redis, timeoutMs: number): Promise<void> {
  if (owned.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([owned.quit().then(noop, noop), timeout]);
    clearTimeout(timer);
  }
  if (owned.status !== 'end') owned.disconnect();
}

function noop(): void {}

/** @internal Providers shared by LockstepModule and LockstepTestingModule. */
export function lockstepProviders(handleProvider: Provider): Provider[] {
  return [
    handleProvider,
    { provide: Lockstep, useFactory: (handle: LockstepHandle) => handle.lockstep, inject: [LOCKSTEP_HANDLE] },
    LockstepLifecycle,
    { provide: APP_FILTER, useClass: LockstepExceptionFilter },
    { provide: APP_INTERCEPTOR, useClass: LockstepRequestInterceptor },
  ];
}

function withProviders(definition: DynamicModule): DynamicModule {
  const handle: Provider = {
    provide: LOCKSTEP_HANDLE,
    useFactory: (options: LockstepModuleOptions) => createHandle(options),
    inject: [LOCKSTEP_MODULE_OPTIONS],
  };
  return {
    ...definition,
    providers: [...(definition.providers ?? []), ...lockstepProviders(handle)],
    exports: [...(definition.exports ?? []), Lockstep],
  };
}

/**
 * Redis-backed locks and limits for a Nest application: `@Locked` and `@Limited` on any method, and
 * core's `Lockstep` for injection. Global by default (`isGlobal: false` to scope it).
 *
 * @example
 * ```ts
 * @Module({ imports: [LockstepModule.forRoot({ redis: new Redis(process.env.REDIS_URL), prefix: 'billing' })] })
 * export class AppModule {}
 * ```
 */
@Module({ imports: [DiscoveryModule] })
export class LockstepModule extends LockstepConfigurableModule {
  /**
   * @param options - `redis` (a client, never quit by the module, or a URL the module owns), core's
   *   `prefix`, `requestTimeoutMs`, `onError`…, `http` statuses, and `isGlobal` (default true)
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT` at startup for bad options
   */
  static override forRoot(options: typeof LOCKSTEP_OPTIONS_TYPE): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this`, so the module is LockstepModule
    return withProviders(super.forRoot(options));
  }

  /**
   * Like {@link LockstepModule.forRoot}, with options from `useFactory` / `useClass` / `useExisting`.
   *
   * @example
   * ```ts
   * LockstepModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ redis: config.getOrThrow('REDIS_URL') }) })
   * ```
   */
  static override forRootAsync(options: typeof LOCKSTEP_ASYNC_OPTIONS_TYPE): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: `super` keeps `this`, so the module is LockstepModule
    return withProviders(super.forRootAsync(options));
  }
}

/** @internal For the testing module. */
export type { LockstepBackend };
