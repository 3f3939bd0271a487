// Public API of @lockstep/bullmq.
export { JobGate } from './job-gate.js';
export { MAX_KEY_BYTES } from './keys.js';
export { type GatedProcessor, type LimitedProcessor, limitProcessor } from './limit-processor.js';
export { DEFAULT_JOB_GATE_OPTIONS, type GateJob, type GateQueue, type JobGateOptions } from './options.js';
