// The names each request holds a permit of, so a request that reaches one of them again (the
// middleware mounted twice, two middlewares sharing a name) passes through on the permit it holds.
import type { IncomingMessage } from 'node:http';
import type { PermitGate } from './permit-gate.js';

interface HeldPermit {
  readonly lockstep: object;
  readonly name: string;
  readonly gate: PermitGate;
}

const held = new WeakMap<IncomingMessage, HeldPermit[]>();

/** Records that `req` holds a permit of `name` on `lockstep`, for as long as `gate` is not done. */
export function rememberPermit(req: IncomingMessage, lockstep: object, name: string, gate: PermitGate): void {
  const list = held.get(req);
  if (list === undefined) held.set(req, [{ lockstep, name, gate }]);
  else list.push({ lockstep, name, gate });
}

/**
 * True when `req` still holds a permit of `name` on `lockstep`. Taking a second one would wait for
 * the request's own permit: with `limit` such requests each holding one, none could go on.
 */
export function holdsPermit(req: IncomingMessage, lockstep: object, name: string): boolean {
  return held.get(req)?.some((p) => p.lockstep === lockstep && p.name === name && !p.gate.done) ?? false;
}
