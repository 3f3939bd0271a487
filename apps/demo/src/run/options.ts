// Command-line options of ./bin/demo, parsed with node's util.parseArgs (unknown options are errors).
import { parseArgs } from 'node:util';

/** What the run was asked to do. */
export interface DemoOptions {
  /** Seconds of load before the verdict. */
  readonly durationS: number;
  /** Keep serving (with load) after the verdict until Ctrl-C. */
  readonly keep: boolean;
  /** Write the verdict and the pids as JSON to this file. */
  readonly json: string | undefined;
  /** Seconds between live summary lines. */
  readonly summaryS: number;
}

export const USAGE = `Usage: ./bin/demo [--duration SECONDS] [--keep] [--json FILE]

  --duration S   seconds of load before the verdict (default 60, at least 10)
  --keep         after the verdict, keep serving the dashboard and the API under load until Ctrl-C
  --json FILE    also write the verdict, the dashboard URL and every started pid as JSON to FILE
  --summary S    seconds between live summary lines (default 5)
  --help         this text

Uses REDIS_URL when set; otherwise starts a private redis-server from PATH.`;

function seconds(option: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 86_400) {
    throw new Error(`Expected --${option} to be a whole number of seconds from ${min} to 86400, got ${value}`);
  }
  return n;
}

/** Parses `argv`; throws with a message naming the bad option. Returns undefined for --help. */
export function parseOptions(argv: readonly string[]): DemoOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'string' },
      summary: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  return {
    durationS: seconds('duration', values.duration, 60, 10),
    keep: values.keep ?? false,
    json: values.json,
    summaryS: seconds('summary', values.summary, 5, 1),
  };
}
