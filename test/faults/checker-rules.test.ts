// The checker's per-lease rules on hand-written histories: each rule fires on its violation and
// stays quiet on the correct case (the broken-variant runs of the fault suite test it end to end).
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../support/checker.js';
import { explainGrants } from '../support/explain.js';
import type { HistoryEvent } from '../support/history.js';

const options = { lossReporting: true, grantRules: true };
const grant = (id: string, t: number, v: number, w = 'p0.0'): HistoryEvent => ({
  e: 'grant',
  id,
  name: 'n',
  fence: t,
  weight: 1,
  t,
  v,
  w,
  i: t - 1,
  ttl: 100,
});
const kinds = (events: HistoryEvent[]) => checkHistory(events, () => 1, options).violations.map((v) => v.kind);

describe('checker lease rules', () => {
  it('passes a lease released in time, and one whose loss was reported', () => {
    expect(kinds([grant('a', 0, 100), { e: 'release', id: 'a', t: 50 }])).toEqual([]);
    expect(kinds([grant('a', 0, 100), { e: 'lost', id: 'a', t: 101, reason: 'signal' }])).toEqual([]);
  });

  it('flags a lease whose window ran out with no signal or onLost', () => {
    expect(kinds([grant('a', 0, 100), { e: 'release', id: 'a', t: 150 }])).toEqual(['lost-unreported']);
  });

  it('excuses a holder killed before it could notice, not one killed long after', () => {
    const killed = (t: number): HistoryEvent => ({ e: 'process', w: 'p0', t, what: 'killed' });
    expect(kinds([grant('a', 0, 100), killed(50)])).toEqual([]);
    expect(kinds([grant('a', 0, 100), killed(10_000)])).toEqual(['lost-unreported']);
  });

  it('flags an extension invoked after the window ended, and an expired or over-long grant', () => {
    const extend: HistoryEvent = { e: 'extend', id: 'a', t: 130, i: 120, v: 220 };
    expect(kinds([grant('a', 0, 100), extend, { e: 'release', id: 'a', t: 200 }])).toEqual(['extend-after-expiry']);
    expect(kinds([grant('a', 10, 10), { e: 'release', id: 'a', t: 11 }])).toContain('expired-grant');
    expect(kinds([grant('a', 0, 150), { e: 'release', id: 'a', t: 10 }])).toEqual(['validity-beyond-ttl']);
  });

  it('measures loss detection from the later of the window end and the last resume', () => {
    const events: HistoryEvent[] = [
      grant('a', 0, 100),
      { e: 'process', w: 'p0', t: 50, what: 'paused' },
      { e: 'process', w: 'p0', t: 300, what: 'resumed' },
      { e: 'lost', id: 'a', t: 305, reason: 'signal' },
    ];
    expect(checkHistory(events, () => 1, options).lossDetectionMs).toEqual([5]);
  });
});

describe('overlap explanation', () => {
  it('names both grants of an overlap and tells their story with the faults around them', () => {
    const events: HistoryEvent[] = [
      { e: 'fault', kind: 'kill-redis', t: 5 },
      grant('a', 10, 110, 'p0.1'),
      { e: 'invoke', op: 'extend', id: 'a', name: 'n', t: 60, w: 'p0.1' },
      { e: 'extend', id: 'a', t: 62, i: 60, v: 160 },
      grant('b', 100, 200, 'p1.2'),
      { e: 'release', id: 'a', t: 150 },
      { e: 'ok', op: 'release', id: 'a', t: 151, released: true },
      { e: 'release', id: 'b', t: 190 },
      { e: 'fault', kind: 'far-later', t: 10_000 },
    ];
    const [overlap] = checkHistory(events, () => 1, options).violations;
    expect(overlap?.kind).toBe('overlap');
    expect(overlap?.ids).toEqual(['b', 'a']);
    const text = explainGrants(events, overlap?.ids ?? []).join('\n');
    expect(text).toContain('b (worker p1.2, name "n"');
    expect(text).toContain('a (worker p0.1, name "n"');
    // Times are relative to the earliest grant (a, at 10).
    expect(text).toContain('extended: invoked +50.000, returned +52.000, valid until +150.000');
    expect(text).toContain('release invoked +140.000');
    expect(text).toContain('-5.000 fault kill-redis');
    expect(text).not.toContain('far-later');
  });
});
