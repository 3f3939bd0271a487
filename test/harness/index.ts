// The shared Redis test harness: real servers on loopback, fault helpers and unique prefixes.
export * from './cluster.js';
export * from './faults.js';
export * from './prefix.js';
export * from './redis-server.js';
