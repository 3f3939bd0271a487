// The layout of packages/core/src, read from the source files: only lockstep.ts (and index.ts,
// which re-exports) wires more than one of lock/, semaphore/ and quorum/ together.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const ENGINES = ['lock', 'semaphore', 'quorum'] as const;
/** The only modules allowed to use more than one engine folder at run time. */
const WIRING = new Set(['lockstep.ts', 'index.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

interface ImportRef {
  readonly target: string;
  readonly typeOnly: boolean;
}

/** The relative imports and re-exports of one module, with whether each is type-only. */
function importsOf(text: string): ImportRef[] {
  const refs: ImportRef[] = [];
  const statement = /^(import|export)\s+(type\s+)?([^;]*?)\s+from\s+'(\.{1,2}\/[^']+)';/gms;
  for (const match of text.matchAll(statement)) {
    const [, , typeKeyword, clause = '', target = ''] = match;
    // `import { type A, type B }` is type-only too (erased at run time).
    const names = clause
      .replace(/^\{|\}$/g, '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const inlineTypes = clause.trim().startsWith('{') && names.length > 0 && names.every((n) => n.startsWith('type '));
    refs.push({ target, typeOnly: typeKeyword !== undefined || inlineTypes });
  }
  for (const match of text.matchAll(/import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) {
    refs.push({ target: match[1] ?? '', typeOnly: false });
  }
  return refs;
}

/** The engine folder (lock, semaphore, quorum) a src-relative path lies in, if any. */
function engineOf(srcRelative: string): string | undefined {
  const top = srcRelative.split('/')[0] ?? '';
  return (ENGINES as readonly string[]).includes(top) ? top : undefined;
}

/** The engine folders a module uses at run time: its own, and those of its value imports. */
function enginesUsed(srcRelativeFile: string, text: string): string[] {
  const used = new Set<string>();
  const own = engineOf(srcRelativeFile);
  if (own) used.add(own);
  for (const ref of importsOf(text)) {
    if (ref.typeOnly) continue;
    const target = relative(SRC, resolve(SRC, dirname(srcRelativeFile), ref.target));
    const engine = engineOf(target);
    if (engine) used.add(engine);
  }
  return [...used].sort();
}

describe('packages/core/src layout', () => {
  const files = sourceFiles(SRC).map((path) => relative(SRC, path).split('\\').join('/'));

  it('has the role folders', () => {
    const dirs = new Set(files.map((f) => f.split('/')[0]));
    for (const dir of ['lock', 'semaphore', 'quorum', 'lease', 'waiting', 'redis', 'util', 'limiter']) {
      expect(dirs.has(dir), dir).toBe(true);
    }
    expect(files.length).toBeGreaterThan(50);
  });

  it('only lockstep.ts and index.ts use more than one of lock/, semaphore/ and quorum/ at run time', () => {
    const offenders = files
      .filter((file) => !WIRING.has(file))
      .map((file) => ({ file, engines: enginesUsed(file, readFileSync(join(SRC, file), 'utf8')) }))
      .filter(({ engines }) => engines.length > 1)
      .map(({ file, engines }) => `${file} uses ${engines.join(' + ')}`);
    expect(offenders).toEqual([]);
  });

  it('lockstep.ts does wire all three (the check reads real imports)', () => {
    expect(enginesUsed('lockstep.ts', readFileSync(join(SRC, 'lockstep.ts'), 'utf8'))).toEqual([...ENGINES].sort());
  });

  it('the check catches a module that imports two engines, and lets type-only imports pass', () => {
    const twoEngines = [
      "import { Lock } from '../lock/lock.js';",
      "import {\n  Semaphore,\n  type SemaphoreState,\n} from '../semaphore/semaphore.js';",
    ].join('\n');
    expect(enginesUsed('multi/x.ts', twoEngines)).toEqual(['lock', 'semaphore']);
    expect(enginesUsed('quorum/x.ts', "export { Lock } from '../lock/lock.js';")).toEqual(['lock', 'quorum']);
    const typesOnly = [
      "import type { Lock } from '../lock/lock.js';",
      "import { type Semaphore, type SemaphoreState } from '../semaphore/semaphore.js';",
    ].join('\n');
    expect(enginesUsed('testing/x.ts', typesOnly)).toEqual([]);
  });
});
