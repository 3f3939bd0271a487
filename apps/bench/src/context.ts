// What every workload needs: the profile, the servers (with admin connections) and the worker pool.
import type { Profile } from './config.js';
import { addCommands, type CommandCounts } from './infra/command-counter.js';
import { type ServerStats, serverDelta } from './infra/server-stats.js';
import type { Worker } from './worker-pool.js';

export interface Servers {
  readonly urls: readonly string[];
  readonly stats: readonly ServerStats[];
}

export interface BenchContext {
  readonly profile: Profile;
  readonly single: Servers;
  readonly quorum: Servers;
  readonly workers: readonly Worker[];
  /** Row ids to run (`--libs`); undefined for all. */
  readonly libs: ReadonlySet<string> | undefined;
  log(line: string): void;
}

/** Commandstats summed over the servers. */
export async function commandstats(servers: Servers): Promise<CommandCounts> {
  const all = await Promise.all(servers.stats.map((s) => s.commandstats()));
  return all.reduce<CommandCounts>((sum, c) => addCommands(sum, c), {});
}

/** Server-side calls between two snapshots (the admin's INFO left out). */
export { serverDelta };

export async function flushAll(servers: Servers): Promise<void> {
  await Promise.all(servers.stats.map((s) => s.flush()));
}
