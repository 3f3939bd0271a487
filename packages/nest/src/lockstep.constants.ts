// Injection tokens of the package.

/** @internal Token of the running backend: the Lockstep, its HTTP answers and how to close it. */
export const LOCKSTEP_HANDLE = Symbol('@lockstep/nest.handle');
