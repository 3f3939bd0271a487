// The checker's per-lease rules on hand-written histories: each rule fires on its violation and
// stays quiet on the correct case (the broken-variant runs of the fault suite test it end to end).
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../support/checker.js';
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
