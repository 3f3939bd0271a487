import { describe, expect, it } from 'vitest';
import { Locality } from '../src/locality.js';

describe('locality of woken jobs (whether kept permits pay off)', () => {
  it('keeps at first, stops after jobs start elsewhere, and resumes once they start here again', () => {
    const locality = new Locality(60_000);
    expect(locality.keep).toBe(true);
    locality.note(false);
    expect(locality.keep).toBe(false);
    let hits = 0;
    while (!locality.keep && hits < 100) {
      locality.woke(`j${hits}`);
      locality.started(`j${hits}`);
      hits++;
    }
    expect(locality.keep).toBe(true);
    // A few starts here in a row win back one start elsewhere; a single one does not.
    expect(hits).toBeGreaterThan(1);
    expect(hits).toBeLessThan(10);
    // Every other job starting elsewhere keeps it off.
    for (let i = 0; i < 40; i++) {
      locality.note(i % 2 === 0);
      if (i > 4) expect(locality.keep).toBe(false);
    }
  });

  it('a watched job that does not start here within the window counts as started elsewhere', async () => {
    const locality = new Locality(5);
    locality.woke('a');
    expect(locality.keep).toBe(true);
    const until = performance.now() + 20;
    while (performance.now() <= until) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(locality.keep).toBe(false);
    // Its late start here changes nothing: it was counted once, as elsewhere.
    locality.started('a');
    expect(locality.keep).toBe(false);
  });

  it('starts of jobs it did not wake do not count', () => {
    const locality = new Locality(60_000);
    locality.note(false);
    for (let i = 0; i < 50; i++) locality.started(`other-${i}`);
    expect(locality.keep).toBe(false);
  });
});
