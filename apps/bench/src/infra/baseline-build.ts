// `--baseline <git-rev>`: @lockstep/core as it was at another commit, built once into
// node_modules/.cache/lockstep-baseline/<sha>/ (git archive of packages/core, its Lua generator, then
// an ESM-only tsup bundle with this repo's tsup) and reused by later runs of the same sha.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A built baseline: the commit and the ESM entry to import. */
export interface BaselineBuild {
  readonly sha: string;
  readonly short: string;
  /** The bundle's entry (dist/index.js), absolute. */
  readonly entry: string;
}

/** Thrown when the revision does not resolve or its core does not build; the message says which step failed. */
export class BaselineBuildError extends Error {
  override readonly name = 'BaselineBuildError';
}

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const TSUP = join(REPO, 'packages/core/node_modules/.bin/tsup');
/** Files besides packages/core that its build reads, when the revision has them. */
const EXTRA_PATHS = ['tsconfig.base.json', 'tsup.base.ts'];

function run(command: string, args: readonly string[], cwd: string, step: string): string {
  const result = spawnSync(command, [...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error || result.status !== 0) {
    const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new BaselineBuildError(`baseline: ${step} failed (${command} ${args.join(' ')}):\n${output}`);
  }
  return result.stdout;
}

/** The full sha of `rev` in this repository. */
export function resolveRevision(rev: string): string {
  if (!/^[\w./@^~-]+$/.test(rev)) throw new BaselineBuildError(`baseline: "${rev}" is not a git revision`);
  return run('git', ['rev-parse', '--verify', `${rev}^{commit}`], REPO, `resolving "${rev}"`).trim();
}

/** Builds (or finds in the cache) @lockstep/core at `rev`; throws BaselineBuildError on any failure. */
export function buildBaseline(rev: string, log: (line: string) => void): BaselineBuild {
  const sha = resolveRevision(rev);
  const short = sha.slice(0, 7);
  const cache = join(REPO, 'node_modules/.cache/lockstep-baseline');
  const dir = join(cache, sha);
  const entry = join(dir, 'packages/core/dist/index.js');
  if (existsSync(join(dir, '.complete')) && existsSync(entry)) {
    log(`baseline ${short}: cached build in ${dir}`);
    return { sha, short, entry };
  }
  const started = performance.now();
  const tmp = join(cache, `${sha}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const listed = run('git', ['ls-tree', '--name-only', sha, ...EXTRA_PATHS], REPO, 'listing files').split('\n');
    const paths = ['packages/core', ...EXTRA_PATHS.filter((p) => listed.includes(p))];
    const archive = join(tmp, 'source.tar');
    run('git', ['archive', '--format=tar', '-o', archive, sha, '--', ...paths], REPO, 'git archive');
    run('tar', ['-xf', archive], tmp, 'unpacking');
    rmSync(archive);
    const core = join(tmp, 'packages/core');
    if (!existsSync(join(core, 'src/index.ts'))) throw new BaselineBuildError(`baseline: ${short} has no core source`);
    if (existsSync(join(core, 'scripts/generate-lua.mjs'))) {
      run(process.execPath, ['scripts/generate-lua.mjs', core], core, 'generating Lua modules');
    }
    // ESM only, no declarations: the bench imports the bundle and needs nothing else of it.
    run(
      TSUP,
      ['src/index.ts', '--no-config', '--format', 'esm', '--target', 'node20', '--out-dir', 'dist', '--silent'],
      core,
      'tsup build',
    );
    if (!existsSync(join(core, 'dist/index.js')))
      throw new BaselineBuildError(`baseline: ${short} built no dist/index.js`);
    writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  log(`baseline ${short}: built @lockstep/core in ${((performance.now() - started) / 1_000).toFixed(1)} s`);
  return { sha, short, entry };
}
