import { createRequire } from 'node:module';
import { Lockstep } from '@lockstep/core';
import { quorumClients, standaloneClient } from '@lockstep/test-utils/context';
import { describe, expect, it } from 'vitest';
import { JobGate, limitProcessor } from '../src/index.js';

describe('options are checked before any I/O', () => {
  const lockstep = new Lockstep({ redis: standaloneClient({ lazyConnect: true }) });
  const base = { lockstep, key: () => 'k', limit: 1 };

  it('rejects unknown options and suggests the close name', () => {
    expect(() => new JobGate({ ...base, ttl: 5 } as never)).toThrow(
      'Unknown option `ttl` in limitProcessor / JobGate options (got 5): did you mean `ttlMs`?',
    );
    expect(() => new JobGate({ ...base, fallbackDelay: 5 } as never)).toThrow(/did you mean `fallbackDelayMs`/);
    expect(() => new JobGate({ ...base, handoff: 5 } as never)).toThrow(/did you mean `handoffMs`/);
  });

  it('names the option and the value', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ limit: 0 }, /`limit` to be an integer from 1 .* got 0/],
      [{ limit: 1.5 }, /`limit`.*got 1.5/],
      [{ key: 'k' }, /`key` to be a function/],
      [{ ttlMs: -1 }, /`ttlMs`.*got -1/],
      [{ fallbackDelayMs: 0 }, /`fallbackDelayMs`.*got 0/],
      [{ reserveMs: Number.NaN }, /`reserveMs`.*got NaN/],
      [{ priorities: [] }, /`priorities`/],
      [{ prefix: 'a{b}' }, /`prefix`/],
      [{ lockstep: {} }, /`lockstep` to be a Lockstep/],
      [{ lockstep: undefined }, /`lockstep` to be a Lockstep instance, got undefined/],
      // A string that looks like a number must not read like a valid value in the message.
      [{ limit: '2' }, /`limit` to be an integer from 1 to 1000000, got "2"/],
      [{ ttlMs: '1000' }, /`ttlMs`.*got "1000"/],
      [{ prefix: '' }, /`prefix`.*got ""/],
      [{ priorities: 'critical' }, /`priorities`.*got "critical"/],
      [{ priority: 'bulk' }, /`priority` to be a function, got "bulk"/],
      [{ queue: 'exports' }, /`queue` to be a BullMQ Queue or Worker, got string/],
      [{ maxStartedAttempts: 0 }, /`maxStartedAttempts`.*got 0/],
      [{ handoffMs: -1 }, /`handoffMs` to be an integer from 0 to `reserveMs` \(5000\), got -1/],
      [{ handoffMs: 2.5 }, /`handoffMs`.*got 2.5/],
      [{ handoffMs: '50' }, /`handoffMs`.*got "50"/],
      // The kept permit must not outlive the reservation of the job it is kept for.
      [{ handoffMs: 200, reserveMs: 100 }, /`handoffMs` to be an integer from 0 to `reserveMs` \(100\), got 200/],
    ];
    for (const [patch, message] of bad) {
      let error: unknown;
      try {
        new JobGate({ ...base, ...patch } as never);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(patch)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      expect((error as Error).message).toMatch(message);
    }
  });

  it('takes an option given as undefined as absent, never as a bad value', () => {
    const unset = undefined;
    const options = {
      ...base,
      priority: unset,
      priorities: unset,
      ttlMs: unset,
      fallbackDelayMs: unset,
      reserveMs: unset,
      handoffMs: unset,
      prefix: unset,
      onError: unset,
      queue: unset,
      maxStartedAttempts: unset,
    };
    expect(() => new JobGate(options)).not.toThrow();
    expect(() => limitProcessor(async () => 1, options)).not.toThrow();
  });

  it("accepts a Lockstep from @lockstep/core's CommonJS build (a dual-package application)", () => {
    const cjs = createRequire(import.meta.url)('@lockstep/core') as typeof import('@lockstep/core');
    expect(cjs.Lockstep).not.toBe(Lockstep); // the hazard is real here: two classes
    const other = new cjs.Lockstep({ redis: standaloneClient({ lazyConnect: true }) });
    expect(() => new JobGate({ ...base, lockstep: other as unknown as Lockstep })).not.toThrow();
  });

  it('refuses quorum mode (semaphores need one Redis or a Cluster)', () => {
    const quorum = new Lockstep({ redis: quorumClients({ lazyConnect: true }) });
    expect(() => new JobGate({ ...base, lockstep: quorum })).toThrow(/quorum/);
  });

  it('refuses a sandboxed processor (a file path or URL) by name, before any I/O', () => {
    for (const file of ['./export-processor.js', new URL('file:///srv/export-processor.js')]) {
      let error: unknown;
      try {
        limitProcessor(file as never, base);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      expect((error as Error).message).toMatch(
        /`processor`.*export-processor\.js.*sandboxed processors are not supported/,
      );
    }
  });

  it('returns a processor that declares three parameters, so BullMQ passes its signal', () => {
    const processor = limitProcessor(async () => 1, base);
    expect(processor.length).toBe(3);
    expect(processor.gate).toBeInstanceOf(JobGate);
  });
});
