// Registers this package's Lua scripts once per client (ioredis defineCommand) and calls them.
import type { Cluster, Redis } from 'ioredis';
import { LUA_SCRIPTS, PACKAGE_VERSION } from './lua/scripts.generated.js';

/** Names of the scripts in `src/lua`. */
export type ScriptName = keyof typeof LUA_SCRIPTS;

/** An ioredis client: a standalone `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

function commandName(script: ScriptName): string {
  const { sha } = LUA_SCRIPTS[script];
  return `lockstep_bullmq_${PACKAGE_VERSION.replace(/\W/g, '_')}_${script}_${sha.slice(0, 8)}`;
}

/**
 * Runs one script, defining it on the client first if needed. ioredis applies the client's
 * `keyPrefix` to `keys` and routes by them on a Cluster (they share one hash tag).
 */
export function runScript(
  client: RedisClient,
  script: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  const name = commandName(script);
  const table = client as unknown as Record<string, ScriptFn | undefined>;
  if (typeof table[name] !== 'function') {
    const { keys: count, source } = LUA_SCRIPTS[script];
    client.defineCommand(name, { numberOfKeys: count, lua: source });
  }
  return (table[name] as ScriptFn).call(client, ...keys, ...args);
}
