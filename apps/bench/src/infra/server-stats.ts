// Server-side figures from the admin connection: INFO commandstats (script internals included),
// used_memory and FLUSHALL between rows.
import { Redis } from 'ioredis';
import { ADMIN_CONNECTION, type CommandCounts } from './command-counter.js';

/** An admin connection to one server; its own commands are never counted as a library's. */
export class ServerStats {
  readonly client: Redis;

  constructor(url: string) {
    this.client = new Redis(url, { connectionName: ADMIN_CONNECTION, lazyConnect: false });
  }

  /**
   * Calls per command name since the server started (`cmdstat_*`), and under `usec|name` the
   * microseconds the server spent in each (for EVAL/EVALSHA that includes the script's own calls).
   */
  async commandstats(): Promise<CommandCounts> {
    const text = await this.client.info('commandstats');
    const out: CommandCounts = {};
    for (const line of text.split('\n')) {
      const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
      // Redis 7 counts subcommands apart (`script|load`); clients send them as one command name.
      const name = match?.[1]?.toLowerCase().split('|')[0];
      if (!name || !match?.[2] || !match[3]) continue;
      out[name] = (out[name] ?? 0) + Number(match[2]);
      out[`usec|${name}`] = (out[`usec|${name}`] ?? 0) + Number(match[3]);
    }
    return out;
  }

  /** `used_memory` in bytes. */
  async usedMemory(): Promise<number> {
    const text = await this.client.info('memory');
    const match = /used_memory:(\d+)/.exec(text);
    return match?.[1] ? Number(match[1]) : 0;
  }

  /** Number of keys in db 0. */
  async dbsize(): Promise<number> {
    return await this.client.dbsize();
  }

  async flush(): Promise<void> {
    await this.client.flushall();
  }

  async close(): Promise<void> {
    await this.client.quit();
  }
}

/** Server calls between two commandstats snapshots, leaving out the admin's own INFO and CLIENT calls. */
export function serverDelta(before: CommandCounts, after: CommandCounts): CommandCounts {
  const out: CommandCounts = {};
  for (const [name, value] of Object.entries(after)) {
    if (name === 'info' || name === 'usec|info') continue;
    const delta = value - (before[name] ?? 0);
    if (delta !== 0) out[name] = delta;
  }
  return out;
}
