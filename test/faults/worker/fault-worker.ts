// A client process of the fault suite: runs a recorded contention loop and/or one-off commands from
// its parent over IPC, so the parent can kill it, pause it or block its event loop at any moment.
// Usage: node --import tsx fault-worker.ts '<json FaultWorkerConfig>' (spawned by worker-process.ts)
import { writeSync } from 'node:fs';
import { Redis } from 'ioredis';
import { QuorumError } from '../../../packages/core/src/index.js';
import { hostNow } from '../../support/history.js';
import { createImpl, type HeldLease } from './impl.js';
import { blockFor, type LoadTally, runLoad } from './load.js';
import type { Command, FaultWorkerConfig, ParentMessage, Reply, WorkerMessage } from './protocol.js';
import { UNHANDLED_EXIT_CODE } from './protocol.js';
import { errorCode, Recorder } from './recorder.js';

// An unhandled rejection is a finding: say so on stderr and exit non-zero, as Node would.
process.on('unhandledRejection', (reason) => {
  writeSync(2, `UNHANDLED_REJECTION ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
  process.exit(UNHANDLED_EXIT_CODE);
});

const config = JSON.parse(process.argv[2] ?? '{}') as FaultWorkerConfig;
const send = (message: WorkerMessage) => {
  if (process.connected) process.send?.(message);
};
const rec = new Recorder(config.out, config.label, (id, t, reason) => send({ type: 'lost', id, t, reason }));
// Background errors (failed retries, a subscriber's lost connection) go to onError by design: they
// are counted, not findings. A throwing onLost would also land here.
let backgroundErrors = 0;
const impl = createImpl(config, () => {
  backgroundErrors++;
});
const leases = new Map<string, { lease: HeldLease; name: string }>();
const resource = config.resourcePort ? new Redis({ host: '127.0.0.1', port: config.resourcePort }) : undefined;
resource?.on('error', () => undefined);
let stopping = false;

// Accepts a write only with a fence above every fence it accepted before (what a fenced store does).
const FENCED_WRITE = `
local last = tonumber(redis.call('GET', KEYS[1]))
if last and last >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', 600000)
return 1`;

function failed(err: unknown): Reply {
  return {
    ok: false,
    code: errorCode(err),
    message: err instanceof Error ? err.message : String(err),
    ...(err instanceof QuorumError ? { detail: `${err.reason}: ${err.nodes.map((n) => n.outcome).join(',')}` } : {}),
    ...(typeof (err as { indeterminate?: unknown }).indeterminate === 'boolean'
      ? { indeterminate: (err as { indeterminate: boolean }).indeterminate }
      : {}),
    t: hostNow(),
  };
}

async function run(command: Command): Promise<Reply> {
  const w = rec.worker('p');
  switch (command.op) {
    case 'acquire': {
      const id = rec.nextId(w);
      const invoked = rec.invoke('acquire', id, command.name, w);
      try {
        const lease = await impl.acquire({
          mode: command.mode,
          name: command.name,
          ttlMs: command.ttlMs,
          waitMs: command.waitMs,
          weight: command.weight ?? 1,
          limit: command.limit ?? 1,
          autoExtend: command.autoExtend ?? false,
          signal: undefined,
          onLost: rec.onLost(id),
        });
        rec.grant(id, command.name, w, lease, command.weight ?? 1, invoked, command.ttlMs);
        leases.set(id, { lease, name: command.name });
        send({ type: 'granted', id, name: command.name, t: hostNow() });
        return { ok: true, id, fence: lease.fence ?? null, remainingMs: lease.remainingMs, t: hostNow() };
      } catch (err) {
        rec.fail('acquire', id, command.name, w, err);
        return failed(err);
      }
    }
    case 'extend': {
      const held = leases.get(command.id);
      if (!held) return { ok: false, code: 'NO_SUCH_LEASE', t: hostNow() };
      const invoked = rec.invoke('extend', command.id, held.name, w);
      try {
        await held.lease.extend(command.ttlMs);
        rec.extended(command.id, invoked, held.lease);
        return { ok: true, remainingMs: held.lease.remainingMs, t: hostNow() };
      } catch (err) {
        rec.fail('extend', command.id, held.name, w, err);
        return failed(err);
      }
    }
    case 'release': {
      const held = leases.get(command.id);
      if (!held) return { ok: false, code: 'NO_SUCH_LEASE', t: hostNow() };
      rec.releasing(command.id);
      try {
        const released = await held.lease.release();
        rec.released(command.id, released);
        leases.delete(command.id);
        return { ok: true, released, t: hostNow() };
      } catch (err) {
        rec.fail('release', command.id, held.name, w, err);
        return failed(err);
      }
    }
    case 'write': {
      const held = leases.get(command.id);
      if (!held || !resource || held.lease.fence === undefined) return { ok: false, code: 'NO_RESOURCE', t: hostNow() };
      const fence = held.lease.fence;
      const accepted = Number(await resource.eval(FENCED_WRITE, 1, `resource:${held.name}`, fence)) === 1;
      rec.wrote(command.id, fence, accepted);
      return { ok: true, accepted, t: hostNow() };
    }
    case 'status': {
      const held = leases.get(command.id);
      if (!held) return { ok: false, code: 'NO_SUCH_LEASE', t: hostNow() };
      return { ok: true, held: held.lease.held, aborted: held.lease.signal.aborted, t: hostNow() };
    }
    case 'block':
      blockFor(command.ms);
      return { ok: true, t: hostNow() };
    case 'stop':
      stopping = true;
      return { ok: true, t: hostNow() };
  }
}

process.on('message', (message: ParentMessage) => {
  run(message.command).then(
    (reply) => send({ type: 'reply', seq: message.seq, reply }),
    (err: unknown) => send({ type: 'reply', seq: message.seq, reply: failed(err) }),
  );
});

async function main(): Promise<void> {
  send({ type: 'ready' });
  let tally: LoadTally = { grants: 0, failures: {}, unexpected: [] };
  if (config.load) {
    tally = await runLoad(impl, config.load, rec, () => stopping);
  } else {
    // A puppet: serve commands until told to stop.
    while (!stopping) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const { lease } of leases.values()) await lease.release().catch(() => undefined);
  rec.close();
  await impl.close();
  resource?.disconnect();
  const summary = { ...tally, backgroundErrors };
  writeSync(1, `${JSON.stringify(summary)}\n`);
  // Nothing is left to flush (every write was synchronous): do not wait for stray sockets.
  process.exit(0);
}

main().catch((err: unknown) => {
  writeSync(2, `worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
