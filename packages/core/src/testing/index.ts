// Public API of @lockstep/core/testing: an in-memory Lockstep for users' tests.
export { createMemoryLockstep, MemoryLockstep, type MemoryLockstepOptions } from './memory-lockstep.js';
