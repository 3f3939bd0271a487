// Reproduction of a core finding (not a test): `lease.extend()` resolves as if it succeeded when the
// lease was declared lost while the extension was in flight, and the server key is extended for a
// lease nobody holds any more. Run: tsx test/faults/repro/extend-resolves-after-loss.ts
// Expected: extend() rejects with ERR_LEASE_LOST (or the lease is held again). Seen: it resolves,
// `held` is false, `signal` has aborted, and the key lives on for the new TTL.
import { Redis } from 'ioredis';
import { Lockstep } from '../../../packages/core/src/index.js';
import { startRedisServer } from '../../harness/index.js';
import { FaultProxy } from '../proxy/fault-proxy.js';

const server = await startRedisServer();
const proxy = await FaultProxy.start(server.port);
const redis = new Redis({ port: proxy.port });
const direct = new Redis({ port: server.port });
const lockstep = new Lockstep({ redis, prefix: 'repro' });
const lease = await lockstep.lock('x', { ttlMs: 300 }).acquire();
// Replies now take 400 ms: the extension's answer arrives after the 300 ms window ended.
proxy.set('down', { latencyMs: 400 });
await new Promise((resolve) => setTimeout(resolve, 100));
const extending = lease.extend(1_000);
await new Promise((resolve) => setTimeout(resolve, 250));
process.stdout.write(`while extending: held ${lease.held}, signal aborted ${lease.signal.aborted}\n`);
const outcome = await extending.then(
  () => 'resolved',
  (err: { code?: string }) => `rejected ${err.code}`,
);
process.stdout.write(`extend() ${outcome}; held ${lease.held}; server PTTL ${await direct.pttl('{repro:l:x}:h')} ms\n`);
await lockstep.close();
redis.disconnect();
direct.disconnect();
await proxy.close();
await server.stop();
