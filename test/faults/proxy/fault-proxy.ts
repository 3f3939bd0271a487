// A TCP fault proxy on node:net, one per Redis server: latency, jitter, blackholes, dropped replies,
// resets and cuts, per direction, switched on and off by the test while traffic flows.
import { randomInt } from 'node:crypto';
import net from 'node:net';

/** `up` is client to server (requests), `down` is server to client (replies). */
export type Direction = 'up' | 'down';

/** Faults of one direction. Unset fields are off. */
export interface DirectionFaults {
  /** Added delay per chunk, ms. Order is kept: a chunk never overtakes an earlier one. */
  readonly latencyMs?: number;
  /** Extra random delay per chunk, 0..jitterMs ms (from `crypto`). */
  readonly jitterMs?: number;
  /**
   * Holds every chunk until healed, like a partition that heals before TCP gives up: the data then
   * arrives late, in order.
   */
  readonly blackhole?: boolean;
  /**
   * Discards every chunk. A RESP stream with a hole in it cannot be resumed, so every connection
   * that lost data is reset when this is switched off (the client reconnects).
   */
  readonly drop?: boolean;
}

interface Link {
  readonly client: net.Socket;
  readonly server: net.Socket;
  /**
   * Per direction: delayed chunks in arrival order, drained by one timer, so chunks are never
   * reordered (separate timers per chunk may fire out of order when their deadlines meet).
   */
  readonly delayed: Record<Direction, { due: number; chunk: Uint8Array }[]>;
  readonly timer: Record<Direction, NodeJS.Timeout | undefined>;
  readonly held: Record<Direction, Uint8Array[]>;
  dropped: boolean;
}

/** A proxy in front of one Redis server on loopback. */
export class FaultProxy {
  readonly #server: net.Server;
  readonly #links = new Set<Link>();
  #faults: Record<Direction, DirectionFaults> = { up: {}, down: {} };
  #refusing = false;
  /** Connections accepted over the proxy's life (a reconnect counts again). */
  connections = 0;

  private constructor(
    readonly targetPort: number,
    readonly port: number,
    server: net.Server,
  ) {
    this.#server = server;
  }

  /** Listens on a free loopback port and forwards to `127.0.0.1:targetPort`. */
  static async start(targetPort: number): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = net.createServer((socket) => proxy?.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    proxy = new FaultProxy(targetPort, port, server);
    return proxy;
  }

  /** Current faults of a direction. */
  faults(direction: Direction): DirectionFaults {
    return this.#faults[direction];
  }

  /** Replaces the faults of one direction (or both). */
  set(direction: Direction | 'both', faults: DirectionFaults): void {
    for (const d of direction === 'both' ? (['up', 'down'] as const) : [direction]) {
      const before = this.#faults[d];
      this.#faults = { ...this.#faults, [d]: faults };
      if (before.blackhole && !faults.blackhole) this.#flushHeld(d);
      if (before.drop && !faults.drop) this.#resetDropped();
    }
  }

  /** Resets every open connection (the peers see ECONNRESET). */
  reset(): number {
    const count = this.#links.size;
    for (const link of [...this.#links]) this.#close(link);
    return count;
  }

  /** Resets every connection and refuses new ones until {@link heal}. */
  cut(): void {
    this.#refusing = true;
    this.reset();
  }

  /** Removes every fault: accepts connections again, delivers held data, resets dropped streams. */
  heal(): void {
    this.#refusing = false;
    this.set('both', {});
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    this.#refusing = true;
    this.reset();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  accept(client: net.Socket): void {
    if (this.#refusing) {
      client.resetAndDestroy();
      return;
    }
    this.connections++;
    const server = net.connect({ host: '127.0.0.1', port: this.targetPort });
    client.setNoDelay(true);
    server.setNoDelay(true);
    const link: Link = {
      client,
      server,
      delayed: { up: [], down: [] },
      timer: { up: undefined, down: undefined },
      held: { up: [], down: [] },
      dropped: false,
    };
    this.#links.add(link);
    client.on('data', (chunk: Buffer) => this.#forward(link, 'up', bytes(chunk)));
    server.on('data', (chunk: Buffer) => this.#forward(link, 'down', bytes(chunk)));
    const close = () => this.#close(link);
    for (const socket of [client, server]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }

  #forward(link: Link, direction: Direction, chunk: Uint8Array): void {
    const f = this.#faults[direction];
    if (f.drop) {
      link.dropped = true;
      return;
    }
    if (f.blackhole) {
      link.held[direction].push(chunk);
      return;
    }
    const delay = (f.latencyMs ?? 0) + (f.jitterMs ? randomInt(0, f.jitterMs + 1) : 0);
    const queue = link.delayed[direction];
    if (delay <= 0 && queue.length === 0) {
      (direction === 'up' ? link.server : link.client).write(chunk);
      return;
    }
    // A chunk is never due before the one ahead of it.
    const due = Math.max(performance.now() + delay, queue.at(-1)?.due ?? 0);
    queue.push({ due, chunk });
    if (!link.timer[direction]) this.#drain(link, direction);
  }

  #drain(link: Link, direction: Direction): void {
    link.timer[direction] = undefined;
    if (!this.#links.has(link)) return;
    const queue = link.delayed[direction];
    const target = direction === 'up' ? link.server : link.client;
    while (queue.length > 0 && (queue[0]?.due ?? 0) <= performance.now()) {
      target.write((queue.shift() as { chunk: Uint8Array }).chunk);
    }
    const next = queue[0];
    if (next)
      link.timer[direction] = setTimeout(() => this.#drain(link, direction), Math.max(0, next.due - performance.now()));
  }

  #flushHeld(direction: Direction): void {
    for (const link of this.#links) {
      const chunks = link.held[direction].splice(0);
      for (const chunk of chunks) this.#forward(link, direction, chunk);
    }
  }

  #resetDropped(): void {
    for (const link of [...this.#links]) if (link.dropped) this.#close(link);
  }

  #close(link: Link): void {
    if (!this.#links.delete(link)) return;
    clearTimeout(link.timer.up);
    clearTimeout(link.timer.down);
    for (const socket of [link.client, link.server]) {
      try {
        if (!socket.destroyed) socket.resetAndDestroy();
      } catch {
        socket.destroy();
      }
    }
  }
}

// A view of the chunk's bytes (no copy): node's Buffer typings and TypeScript 5.9 disagree about it.
function bytes(chunk: Buffer): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Starts one proxy per port, in order. */
export async function startProxies(ports: readonly number[]): Promise<FaultProxy[]> {
  return await Promise.all(ports.map((port) => FaultProxy.start(port)));
}
