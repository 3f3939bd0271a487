// Runs the Lua scripts: EVALSHA first, and EVAL with the source when the server answers NOSCRIPT
// (after a restart, a failover or SCRIPT FLUSH), which also loads the script for the next EVALSHA.
// Commands go straight to ioredis' `sendCommand`, which routes them (Cluster slots, MOVED/ASK),
// queues them while offline and applies the client's `keyPrefix` to the keys: the same path as
// `defineCommand`, without its per-call wrapper objects.
import { type Cluster, Command, type Redis } from 'ioredis';
import { LUA_SCRIPTS } from '../lua/scripts.generated.js';
import { isRefusalMessage } from './refusal.js';
import { noteScriptRefusal } from './refusal-hint.js';
import { batchWrites, flushWrites } from './write-batch.js';

export { STATUS } from '../lua/scripts.generated.js';

/** Names of the scripts in `src/lua`. */
export type ScriptName = keyof typeof LUA_SCRIPTS;

/** An ioredis client Lockstep can drive: a standalone `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

// Replies as strings; ioredis reads these options and keeps no reference to them.
const PLAIN = Object.freeze({ replyEncoding: 'utf8' as const });
const prefixed = new WeakMap<RedisClient, { readonly replyEncoding: 'utf8'; readonly keyPrefix: string }>();

function optionsOf(client: RedisClient) {
  const keyPrefix = client.options.keyPrefix;
  if (!keyPrefix) return PLAIN;
  let options = prefixed.get(client);
  if (options?.keyPrefix !== keyPrefix) {
    options = Object.freeze({ replyEncoding: 'utf8' as const, keyPrefix });
    prefixed.set(client, options);
  }
  return options;
}

function command(
  client: RedisClient,
  name: 'evalsha' | 'eval',
  script: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Command {
  const { sha, source } = LUA_SCRIPTS[script];
  const argv: (string | number)[] = [name === 'evalsha' ? sha : source, keys.length];
  for (const key of keys) argv.push(key);
  for (const arg of args) argv.push(arg);
  return new Command(name, argv, optionsOf(client));
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

// The uncontended fast paths: under load many are sent in one tick, and batching their writes saves
// client CPU (write-batch.ts). Every other script serves a queue, where latency counts.
const BATCHED: ReadonlySet<ScriptName> = new Set<ScriptName>([
  'lockAcquireFast',
  'lockReleaseFast',
  'semAcquireFast',
  'semReleaseFast',
]);

// A client with ioredis' `enableAutoPipelining` batches the commands of one tick into one write:
// scripts go through its command API, which does that, instead of straight to `sendCommand`.
function send(
  client: RedisClient,
  name: 'evalsha' | 'eval',
  script: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  if (client.options.enableAutoPipelining) {
    const { sha, source } = LUA_SCRIPTS[script];
    return client.call(name, name === 'evalsha' ? sha : source, keys.length, ...keys, ...args) as Promise<unknown>;
  }
  if (BATCHED.has(script)) batchWrites(client);
  else flushWrites(client);
  return client.sendCommand(command(client, name, script, keys, args)) as Promise<unknown>;
}

/**
 * Runs one script. `keys` must have exactly the script's key count; ioredis applies the client's
 * `keyPrefix` to them and routes by the first one on a Cluster.
 */
export async function runScript(
  client: RedisClient,
  script: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    try {
      return await send(client, 'evalsha', script, keys, args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await send(client, 'eval', script, keys, args);
    }
  } catch (error) {
    // A command the user may not run inside the script: note which, for the error's message.
    if (error instanceof Error && isRefusalMessage(error.message)) {
      noteScriptRefusal(error, script, LUA_SCRIPTS[script].source);
    }
    throw error;
  }
}

/** The number of keys a script takes. */
export function scriptKeyCount(script: ScriptName): number {
  return LUA_SCRIPTS[script].keys;
}
