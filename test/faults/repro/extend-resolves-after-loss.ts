// Reproduction of a core finding (not a test): `lease.extend()` resolved as if it succeeded when the
// lease was declared lost while the extension was in flight, and the server key stayed extended for
// a lease nobody held. Fixed in 4ba257a (extend() now rejects ERR_LEASE_LOST and gives the entry
// back); kept as a check. Run: tsx test/faults/repro/extend-resolves-after-loss.ts
// Expected now: "extend() rejected ERR_LEASE_LOST; held false; token still on the server: false"
// (since cc4d02e a released lock key may stay behind as `fence:` until its TTL; the token is gone).
import { startRedisServer } from '@lockstep/test-utils';
import { Redis } from 'ioredis';
import { Lockstep } from '../../../packages/core/src/index.js';
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
// The give-back is a background call: let it land before looking.
await new Promise((resolve) => setTimeout(resolve, 100));
const value = (await direct.get('{repro:l:x}:h')) ?? '';
process.stdout.write(
  `extend() ${outcome}; held ${lease.held}; token still on the server: ${value.endsWith(lease.token)}\n`,
);
await lockstep.close();
redis.disconnect();
direct.disconnect();
await proxy.close();
await server.stop();
