// Registers the Lua scripts once per client with ioredis defineCommand (so NOSCRIPT after a restart
// or failover is absorbed by ioredis' EVALSHA-then-EVAL fallback) and calls them by name.
import type { Cluster, Redis } from 'ioredis';
import { LUA_SCRIPTS, PACKAGE_VERSION } from '../lua/scripts.generated.js';

export { STATUS } from '../lua/scripts.generated.js';

/** Names of the scripts in `src/lua`. */
export type ScriptName = keyof typeof LUA_SCRIPTS;

/** An ioredis client Lockstep can drive: a standalone `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

const registered = new WeakMap<RedisClient, Map<ScriptName, string>>();

function commandName(script: ScriptName): string {
  const { sha } = LUA_SCRIPTS[script];
  return `lockstep_${PACKAGE_VERSION.replace(/\W/g, '_')}_${script}_${sha.slice(0, 8)}`;
}

/** Defines every script on the client (idempotent). */
export function registerScripts(client: RedisClient): void {
  if (registered.has(client)) return;
  const names = new Map<ScriptName, string>();
  for (const script of Object.keys(LUA_SCRIPTS) as ScriptName[]) {
    const name = commandName(script);
    const { keys, source } = LUA_SCRIPTS[script];
    if (typeof (client as unknown as Record<string, unknown>)[name] !== 'function') {
      client.defineCommand(name, { numberOfKeys: keys, lua: source });
    }
    names.set(script, name);
  }
  registered.set(client, names);
}

/**
 * Runs one script. `keys` must have exactly the script's key count; ioredis applies the client's
 * `keyPrefix` to them and routes by the first one on a Cluster.
 */
export function runScript(
  client: RedisClient,
  script: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  let names = registered.get(client);
  if (!names) {
    registerScripts(client);
    names = registered.get(client) as Map<ScriptName, string>;
  }
  const fn = (client as unknown as Record<string, ScriptFn>)[names.get(script) as string] as ScriptFn;
  return fn.call(client, ...keys, ...args);
}

/** The number of keys a script takes. */
export function scriptKeyCount(script: ScriptName): number {
  return LUA_SCRIPTS[script].keys;
}
