// Public API of @lockstep/nest.
export { currentLease } from './current-lease.js';
export {
  DEFAULT_GUARD_OPTIONS,
  type GuardOptions,
  type KeySource,
  type LimitedOptions,
  type LockedOptions,
  type OnBusy,
} from './decorator-options.js';
export { type GuardDecorator, Limited, Locked } from './lockstep.decorators.js';
export { LockstepModule } from './lockstep.module.js';
export {
  DEFAULT_HTTP_OPTIONS,
  type LockstepHttpOptions,
  type LockstepModuleOptions,
} from './lockstep.options.js';
export { LockstepTestingModule, type LockstepTestingModuleOptions } from './lockstep-testing.module.js';
export { LockstepWsExceptionFilter } from './lockstep-ws.filter.js';
