// Messages between the main process and worker processes.
import type { ContentionShare, ContentionSpec } from './workloads/contention-run.js';
import type { RelayShare, RelaySpec } from './workloads/relay-run.js';

export type ToWorker =
  | { readonly type: 'contention'; readonly id: number; readonly spec: ContentionSpec }
  | { readonly type: 'relay-open'; readonly id: number; readonly spec: RelaySpec }
  | { readonly type: 'relay-go' }
  | { readonly type: 'relay-stop'; readonly id: number }
  | { readonly type: 'exit' };

export type ToMain =
  | { readonly type: 'hello' }
  | { readonly type: 'contention-done'; readonly id: number; readonly share: ContentionShare }
  | { readonly type: 'relay-ready'; readonly id: number }
  | { readonly type: 'relay-acquired'; readonly side: number }
  | { readonly type: 'relay-done'; readonly id: number; readonly share: RelayShare }
  | { readonly type: 'failed'; readonly id: number; readonly error: string };
