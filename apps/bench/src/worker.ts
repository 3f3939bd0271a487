// Entry point of a worker process (forked by worker-pool.ts): runs its share of cross-process
// workloads on request and reports over IPC.
import { installCommandCounter } from './infra/command-counter.js';
import { loadBaselineFromEnv } from './libraries/baseline.js';
import type { ToMain, ToWorker } from './worker-protocol.js';
import { runContention } from './workloads/contention-run.js';
import { RelaySide } from './workloads/relay-run.js';

installCommandCounter();

let relay: RelaySide | undefined;

function send(message: ToMain): void {
  process.send?.(message);
}

process.on('message', (raw: unknown) => {
  const message = raw as ToWorker;
  switch (message.type) {
    case 'contention':
      runContention(message.spec).then(
        (share) => send({ type: 'contention-done', id: message.id, share }),
        (error: unknown) => send({ type: 'failed', id: message.id, error: String(error) }),
      );
      break;
    case 'relay-open':
      RelaySide.open(message.spec, () => send({ type: 'relay-acquired', side: message.spec.side })).then(
        (side) => {
          relay = side;
          send({ type: 'relay-ready', id: message.id });
        },
        (error: unknown) => send({ type: 'failed', id: message.id, error: String(error) }),
      );
      break;
    case 'relay-go':
      relay?.go();
      break;
    case 'relay-stop': {
      const side = relay;
      relay = undefined;
      if (!side) {
        send({ type: 'failed', id: message.id, error: 'no relay open' });
        break;
      }
      side.stop().then(
        (share) => send({ type: 'relay-done', id: message.id, share }),
        (error: unknown) => send({ type: 'failed', id: message.id, error: String(error) }),
      );
      break;
    }
    case 'exit':
      process.disconnect?.();
      break;
  }
});

// The `--baseline` row, when the main process built one, before announcing readiness.
await loadBaselineFromEnv();
send({ type: 'hello' });
