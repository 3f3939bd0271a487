// The callgrind workload's pure parts: the output parser, the per-pair difference, script shapes.
import { describe, expect, it } from 'vitest';
import { parseCallgrindTotal } from '../src/infra/callgrind-server.js';
import { emptyScriptsRow, instructionsPerPair, scriptShape } from '../src/workloads/callgrind.js';

const OUTPUT = `# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 13310
cmd:  redis-server --port 16999
part: 1

desc: I1 cache:
positions: line
events: Ir
summary: 34724456

fl=(1) ???
fn=(1) 0x0000000000001100
0 3

totals: 34724456
`;

describe('parseCallgrindTotal', () => {
  it('reads the summary line', () => {
    expect(parseCallgrindTotal(OUTPUT)).toBe(34_724_456);
  });

  it('falls back to totals, and takes the Ir column when several events were collected', () => {
    const text = 'events: Dr Ir Dw\nfn=(1) main\n0 1 2 3\ntotals: 10 2500 30\n';
    expect(parseCallgrindTotal(text)).toBe(2_500);
  });

  it('returns undefined for output without a total', () => {
    expect(parseCallgrindTotal('events: Ir\nfn=(1) main\n0 3\n')).toBeUndefined();
    expect(parseCallgrindTotal('')).toBeUndefined();
  });
});

describe('instructionsPerPair', () => {
  it('divides the difference of the two runs by the pairs between them', () => {
    expect(instructionsPerPair(29_787_157, 74_810_018, 400)).toBeCloseTo(112_557.15, 1);
    expect(instructionsPerPair(1, 2, 0)).toBeNaN();
  });
});

describe('scriptShape', () => {
  it('counts keys and arguments of EVAL/EVALSHA/FCALL calls and ignores other commands', () => {
    expect(scriptShape('evalsha', ['abc', '5', 'k1', 'k2', 'k3', 'k4', 'k5', 'a', 'b'])).toEqual({ keys: 5, args: 2 });
    expect(scriptShape('eval', ['return 1', 0])).toEqual({ keys: 0, args: 0 });
    expect(scriptShape('set', ['k', 'v'])).toBeUndefined();
    expect(scriptShape('evalsha', ['abc', 'x'])).toBeUndefined();
  });

  it('names the copied shapes in the empty-scripts row', () => {
    const row = emptyScriptsRow([
      { keys: 5, args: 6 },
      { keys: 5, args: 2 },
    ]);
    expect(row.setting).toContain('5 keys + 6 args, then 5 keys + 2 args');
    expect(row.kind).toBe('raw');
  });
});
