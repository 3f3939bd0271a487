import { createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterLockstep, eventually, standaloneLockstep } from '../../../test/support/fixtures.js';
import type { Lease } from '../../core/src/index.js';
import { type DashboardAction, lockstepDashboard, type Snapshot } from '../src/index.js';
import { type Served, serveDashboard } from './serve.js';

const served: Served[] = [];
afterAll(async () => {
  for (const s of served) await s.close();
});

async function serve(options: Parameters<typeof serveDashboard>[0]): Promise<Served> {
  const s = await serveDashboard(options);
  served.push(s);
  return s;
}

/** Reads the first `update` event of an SSE stream. */
function firstEvent(url: string): Promise<{ headers: Record<string, unknown>; snapshot: Snapshot }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        const m = /event: update\ndata: (.*)\n\n/.exec(buffer);
        if (m) {
          resolve({ headers: res.headers, snapshot: JSON.parse(m[1] as string) as Snapshot });
          req.destroy();
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('lockstepDashboard handler', () => {
  it('serves the page, assets and JSON without cookies, with a strict CSP; unknown paths reach next()', async () => {
    const { lockstep } = standaloneLockstep();
    const s = await serve({ lockstep });
    const redirect = await fetch(s.url.slice(0, -1), { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/admin/locks/');
    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('set-cookie')).toBeNull();
    const html = await page.text();
    expect(html).toContain('<script type="module" src="./app.js">');
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    for (const file of ['app.js', 'app.css', 'plot.js', 'format.js']) {
      const asset = await fetch(`${s.url}${file}`);
      expect(asset.status, file).toBe(200);
      expect(await asset.text()).not.toMatch(/(src|href)=["']https?:/);
    }
    expect(await (await fetch(`${s.url}api/config`)).json()).toMatchObject({ allowActions: false });
    expect(await (await fetch(`${s.url}after`)).text()).toBe('next() reached the app');
    // Only the page's own files are served: inherited object keys are not assets.
    for (const path of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect((await fetch(`${s.url}${path}`)).status, path).toBe(404);
    }
  });

  it('streams snapshots (list and detail) as Server-Sent Events, on a Cluster too', async () => {
    const { lockstep } = clusterLockstep();
    const held = await Promise.all(['a', 'b', 'c', 'd'].map((n) => lockstep.lock(n).acquire()));
    const s = await serve({ lockstep, intervalMs: 200 });
    const { headers, snapshot } = await firstEvent(`${s.url}api/events?kind=lock&name=b`);
    expect(headers['content-type']).toContain('text/event-stream');
    expect(snapshot.names.map((n) => n.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(snapshot.selected?.detail?.holderList[0]?.fence).toBe(held[1]?.fence);
    expect(JSON.stringify(snapshot)).not.toContain(held[1]?.token);
    for (const lease of held) await lease.release();
  });

  it('takes options given as undefined as absent: read-only, updated every second', async () => {
    const { lockstep } = standaloneLockstep();
    const unset = undefined;
    const s = await serve({ lockstep, admin: unset, allowActions: unset, onAction: unset, intervalMs: unset });
    const config = await (await fetch(`${s.url}api/config`)).json();
    expect(config).toMatchObject({ allowActions: false, intervalMs: 1_000, prefix: lockstep.admin().prefix });
  });

  it('is read-only by default; with allowActions, force release is audited first', async () => {
    const { lockstep } = standaloneLockstep();
    const readOnly = await serve({ lockstep });
    const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}api/release`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-lockstep-action': '1', ...headers },
        body: JSON.stringify(body),
      });
    const lease = await lockstep.lock('job').acquire();
    const refused = await post(readOnly.url, { kind: 'lock', name: 'job' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('DASHBOARD_ACTIONS_DISABLED');
    expect(lease.held).toBe(true);

    const actions: Omit<DashboardAction, 'req'>[] = [];
    const s = await serve({
      lockstep,
      allowActions: true,
      onAction: ({ req: _req, ...action }) => {
        if (action.name === 'audit-fails') throw new Error('audit store down');
        actions.push(action);
      },
    });
    expect((await post(s.url, { kind: 'lock', name: 'job' }, { 'x-lockstep-action': '' })).status).toBe(400);
    expect((await fetch(`${s.url}api/release`, { method: 'POST', body: '{}' })).status).toBe(400);
    const other = await lockstep.lock('audit-fails').acquire();
    expect((await post(s.url, { kind: 'lock', name: 'audit-fails' })).status).toBe(500);
    expect(other.held).toBe(true);
    const ok = await post(s.url, { kind: 'lock', name: 'job', fence: lease.fence });
    expect(await ok.json()).toEqual({ released: 1 });
    expect(actions).toEqual([{ type: 'force-release', kind: 'lock', name: 'job', fence: lease.fence }]);
    await eventually(
      async () =>
        (await lease.extend().then(
          () => false,
          () => true,
        )) && lease.signal.aborted,
    );
    await other.release();
    const waiting = lockstep.lock('job').acquire({ waitMs: 100 });
    await expect(waiting).resolves.toBeDefined();
    await ((await waiting) as Lease).release();
  });

  it('answers an oversized action body 400 ERR_INVALID_ARGUMENT (a bad body), releasing nothing', async () => {
    const { lockstep } = standaloneLockstep();
    const s = await serve({ lockstep, allowActions: true });
    const lease = await lockstep.lock('big-body').acquire();
    const response = await fetch(`${s.url}api/release`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lockstep-action': '1' },
      body: JSON.stringify({ kind: 'lock', name: 'big-body', padding: 'x'.repeat(20_000) }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/body/),
    });
    expect(lease.held).toBe(true);
    expect(await lease.release()).toBe(true);
  });

  it('answers an event stream for an invalid name 400 at once instead of streaming failures forever', async () => {
    const { lockstep } = standaloneLockstep();
    const s = await serve({ lockstep, intervalMs: 100 });
    const name = encodeURIComponent('n'.repeat(600));
    const controller = new AbortController();
    const response = await fetch(`${s.url}api/events?kind=lock&name=${name}`, { signal: controller.signal });
    try {
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ERR_INVALID_ARGUMENT');
    } finally {
      controller.abort();
    }
  });

  it('the built package loads from CommonJS (Nest apps) and ESM with the page inlined', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../dist/index.cjs') as typeof import('../src/index.js');
    const esm = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof import('../src/index.js');
    expect(typeof cjs.lockstepDashboard).toBe('function');
    expect(typeof esm.lockstepDashboard).toBe('function');
    // Plain node:http, no framework: the handler without `next`.
    const { lockstep } = standaloneLockstep();
    const handler = cjs.lockstepDashboard({ lockstep });
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      expect(await (await fetch(`${base}plot.js`)).text()).toContain('drawLines');
      expect((await fetch(`${base}nope`)).status).toBe(404);
      expect(await (await fetch(`${base}api/snapshot`)).json()).toMatchObject({ names: [], selected: null });
    } finally {
      server.close();
    }
  });

  it('ends open event streams once the server is closing, so server.close() completes', async () => {
    const { lockstep } = standaloneLockstep();
    const handler = lockstepDashboard({ lockstep, intervalMs: 100 });
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`;
    let updates = 0;
    const ended = new Promise<string>((resolve) => {
      const req = request(url, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          updates += chunk.split('event: update').length - 1;
        });
        res.on('end', () => resolve('ended'));
        res.on('error', () => resolve('ended'));
      });
      req.on('error', () => resolve('ended'));
      req.end();
    });
    await eventually(() => updates >= 2);
    const closed = new Promise<string>((resolve) => server.close(() => resolve('closed')));
    const late = (what: string) => new Promise<string>((resolve) => setTimeout(resolve, 2_500, what));
    const outcome = await Promise.race([closed, late('server.close() still waiting on the stream')]);
    if (outcome !== 'closed') server.closeAllConnections();
    expect(outcome).toBe('closed');
    expect(await Promise.race([ended, late('stream still open')])).toBe('ended');
  });

  it('rejects a null or partial lockstep/admin at creation with ERR_INVALID_ARGUMENT naming it', () => {
    const { lockstep } = standaloneLockstep();
    const admin = lockstep.admin();
    const cases: [unknown, RegExp][] = [
      [{ lockstep: null }, /`lockstep`/],
      [{ admin: null }, /`admin`/],
      [{ lockstep: { admin: () => null } }, /`lockstep`/],
      [{ admin: { list: () => [] } }, /`admin`/],
      [
        { admin: { ...Object.fromEntries(['list', 'inspect', 'rates'].map((k) => [k, () => 0])), prefix: 'x' } },
        /`admin`/,
      ],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        lockstepDashboard(options as never);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(options)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message });
    }
    expect(typeof lockstepDashboard({ admin })).toBe('function');
  });

  it('rejects bad options before any I/O, suggesting the close name', () => {
    const { lockstep } = standaloneLockstep();
    expect(() => lockstepDashboard({ lockstep, allowAction: true } as never)).toThrow(/did you mean `allowActions`/);
    expect(() => lockstepDashboard({} as never)).toThrow(/lockstep/);
    expect(() => lockstepDashboard({ lockstep, intervalMs: 5 })).toThrow(/intervalMs/);
    // A string that reads like a good value is shown as the string it is.
    expect(() => lockstepDashboard({ lockstep, intervalMs: '1000' } as never)).toThrow(/, got "1000"$/);
    expect(() => lockstepDashboard({ lockstep, allowActions: 'false' } as never)).toThrow(/, got "false"$/);
    expect(() => lockstepDashboard({ lockstep, onAction: 'audit' } as never)).toThrow(/`onAction`.*, got "audit"$/);
  });
});
