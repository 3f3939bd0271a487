// Counts the commands every ioredis connection of this process sends (client round trips), by name.
// Installed once per process, so it sees the libraries' own connections, including subscribers made
// with duplicate().
import { Redis } from 'ioredis';

/** Connections with this name belong to the benchmark itself (INFO, FLUSHALL …) and are not counted. */
export const ADMIN_CONNECTION = 'lockstep-bench-admin';

/** Commands sent, by lower-case name. */
export type CommandCounts = Record<string, number>;

const counts = new Map<string, number>();
let installed = false;

interface CommandLike {
  readonly name: string;
  readonly args?: readonly unknown[];
}

/** Sees every counted command with its arguments (the callgrind workload reads script key counts). */
export type CommandTap = (name: string, args: readonly unknown[]) => void;
let tap: CommandTap | undefined;

/** Installs (or with undefined, removes) the one tap. */
export function setCommandTap(next: CommandTap | undefined): void {
  tap = next;
}

/** Patches `Redis.prototype.sendCommand` (idempotent). */
export function installCommandCounter(): void {
  if (installed) return;
  installed = true;
  const proto = Redis.prototype as unknown as {
    sendCommand: (this: Redis, command: CommandLike, stream?: unknown) => unknown;
  };
  const original = proto.sendCommand;
  proto.sendCommand = function sendCommand(this: Redis, command: CommandLike, stream?: unknown) {
    if (this.options.connectionName !== ADMIN_CONNECTION) {
      const name = command.name.toLowerCase();
      counts.set(name, (counts.get(name) ?? 0) + 1);
      tap?.(name, command.args ?? []);
    }
    return original.call(this, command, stream);
  };
}

/** A snapshot of the counts so far. */
export function snapshotCommands(): CommandCounts {
  return Object.fromEntries(counts);
}

/** `after - before`, per name, dropping zeros. */
export function diffCommands(before: CommandCounts, after: CommandCounts): CommandCounts {
  const out: CommandCounts = {};
  for (const [name, value] of Object.entries(after)) {
    const delta = value - (before[name] ?? 0);
    if (delta !== 0) out[name] = delta;
  }
  return out;
}

/** Adds `b` into `a`. */
export function addCommands(a: CommandCounts, b: CommandCounts): CommandCounts {
  const out: CommandCounts = { ...a };
  for (const [name, value] of Object.entries(b)) out[name] = (out[name] ?? 0) + value;
  return out;
}

/** The sum of all call counts (server snapshots also carry `usec|name` times, left out here). */
export function totalCommands(c: CommandCounts): number {
  let total = 0;
  for (const [name, value] of Object.entries(c)) if (!name.startsWith('usec|')) total += value;
  return total;
}

/** Microseconds the server spent running scripts (EVAL, EVALSHA, their internal calls included). */
export function scriptUsec(c: CommandCounts): number {
  return (c['usec|evalsha'] ?? 0) + (c['usec|eval'] ?? 0);
}
