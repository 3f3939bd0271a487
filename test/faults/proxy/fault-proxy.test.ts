// The fault proxy against a plain TCP echo server: order under jitter, drop-then-reset, blackhole
// delivery on heal, and cut refusing connections.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';

let echo: net.Server;
let proxy: FaultProxy;

function connect(): Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
    });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FaultProxy', () => {
  beforeAll(async () => {
    echo = net.createServer((socket) => {
      // The proxy resets connections on purpose: the echo side sees ECONNRESET.
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    proxy = await FaultProxy.start((echo.address() as net.AddressInfo).port);
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('keeps the byte order under latency and jitter', async () => {
    proxy.set('down', { latencyMs: 5, jitterMs: 30 });
    const { socket, received } = await connect();
    const sent = Array.from({ length: 50 }, (_, i) => `<${i}>`);
    for (const part of sent) {
      socket.write(part);
      await sleep(1);
    }
    await sleep(200);
    expect(received()).toBe(sent.join(''));
    proxy.heal();
    socket.destroy();
  });

  it('drops data, then resets the connection that lost data when healed', async () => {
    const { socket, received, closed } = await connect();
    proxy.set('down', { drop: true });
    socket.write('lost');
    await sleep(50);
    expect(received()).toBe('');
    proxy.heal();
    await closed;
    expect(socket.destroyed).toBe(true);
  });

  it('holds blackholed data and delivers it in order on heal', async () => {
    const { socket, received } = await connect();
    proxy.set('up', { blackhole: true });
    socket.write('a');
    socket.write('b');
    await sleep(50);
    expect(received()).toBe('');
    proxy.heal();
    await sleep(50);
    expect(received()).toBe('ab');
    socket.destroy();
  });

  it('cut resets open connections and refuses new ones until healed', async () => {
    const { closed } = await connect();
    proxy.cut();
    await closed;
    const refused = await connect().then(
      ({ closed: c }) => c.then(() => true),
      () => true,
    );
    expect(refused).toBe(true);
    proxy.heal();
    const { socket, received } = await connect();
    socket.write('back');
    await sleep(50);
    expect(received()).toBe('back');
    socket.destroy();
  });
});
