// Runs the fault suite and writes its report.
// Usage: tsx test/faults/run.ts --profile short|full [--only 1,4] [--out DIR] [--keep-history]
// A complete full run writes results/latest.{json,md}; any other run writes results/tmp/latest-*.
// Exits 1 when the run is not ok (a violation, an unhandled rejection, a key left, a flag missing).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseProfile } from './profile.js';
import { renderMarkdown, writeReport } from './report.js';
import { runSuite } from './suite.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'short' },
    only: { type: 'string' },
    out: { type: 'string' },
    'keep-history': { type: 'boolean', default: false },
  },
});
const profile = parseProfile(values.profile);
const command =
  profile.name === 'full' && !values.only
    ? 'pnpm test:faults'
    : `tsx test/faults/run.ts ${process.argv.slice(2).join(' ')}`;
const outDir = values.out ?? join(here, 'results');

const report = await runSuite(profile, {
  root: join(here, 'results', 'tmp'),
  ...(values.only ? { only: values.only.split(',') } : {}),
  keepHistory: values['keep-history'],
  command,
  onScenario: (id, title, ms) => process.stdout.write(`scenario ${id} ${title}: ${(ms / 1000).toFixed(1)} s\n`),
});
// Only a complete full run replaces the committed report; other runs go to the git-ignored tmp/.
const complete = profile.name === 'full' && !values.only;
writeReport(complete ? outDir : join(outDir, 'tmp'), report, complete ? 'latest' : `latest-${profile.name}`);
process.stdout.write(renderMarkdown(report));
process.exit(report.ok ? 0 : 1);
