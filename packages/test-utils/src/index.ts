// The shared Redis test harness: real servers on loopback, free ports, fault helpers and unique
// prefixes. No Vitest here, so the bench and the demo import it at run time; the Vitest pieces are
// the `./context` and `./global-setup` subpaths.
export * from './acl.js';
export * from './cluster.js';
export * from './faults.js';
export * from './ports.js';
export * from './prefix.js';
export * from './redis-server.js';
export * from './run-tsx.js';
