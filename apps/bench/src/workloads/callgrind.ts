// Redis instructions per uncontended acquire + release pair, from a redis-server under callgrind:
// for every row, one run of W pairs and one of W + N pairs on fresh servers; the difference over N
// is the pairs' own cost (startup, connection, script loading and warm-up cancel out). Beside the
// libraries, a pair of empty scripts (`return 1`) with the key and argument counts Lockstep's pair
// sends: the floor of any two-script design.

import type { BenchContext } from '../context.js';
import { CallgrindServer, hasValgrind } from '../infra/callgrind-server.js';
import { closeClients, openClients } from '../infra/clients.js';
import { setCommandTap } from '../infra/command-counter.js';
import type { LibraryInstance, LibraryRow } from '../libraries/library.js';

/** The shape of one script call: keys and arguments passed. */
export interface ScriptShape {
  readonly keys: number;
  readonly args: number;
}

export interface CallgrindRow {
  readonly rowId: string;
  readonly library: string;
  readonly kind: LibraryRow['kind'];
  readonly setting: string;
  /** Pairs in the measured difference (N) and in the warm-up both runs share (W). */
  readonly pairs: number;
  readonly warmPairs: number;
  /** Instructions of the server over the whole run of W pairs, and of W + N pairs. */
  readonly warmTotal: number;
  readonly measuredTotal: number;
  readonly instructionsPerPair: number;
  /** Script calls of one pair (eval/evalsha/fcall), as sent. */
  readonly scripts: readonly ScriptShape[];
}

/** `(measured - warm) / pairs`: instructions per pair from the two runs' totals. */
export function instructionsPerPair(warmTotal: number, measuredTotal: number, pairs: number): number {
  return pairs > 0 ? (measuredTotal - warmTotal) / pairs : Number.NaN;
}

/** Keys and arguments of an EVAL/EVALSHA/FCALL call from its arguments (`script, numkeys, ...keys, ...args`). */
export function scriptShape(name: string, args: readonly unknown[]): ScriptShape | undefined {
  if (!['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro'].includes(name)) return undefined;
  const keys = Number(args[1]);
  if (!Number.isInteger(keys) || keys < 0) return undefined;
  return { keys, args: Math.max(0, args.length - 2 - keys) };
}

const EMPTY_SCRIPT = 'return 1';

/** A row that sends one empty script per shape (acquire, then release), on `name`-derived keys. */
export function emptyScriptsRow(shapes: readonly ScriptShape[]): LibraryRow {
  const described = shapes.map((s) => `${s.keys} keys + ${s.args} args`).join(', then ');
  return {
    id: 'empty-scripts',
    library: 'empty scripts',
    variant: 'default',
    setting: `EVALSHA of \`${EMPTY_SCRIPT}\` with Lockstep's key and argument counts: ${described}`,
    kind: 'raw',
    hasSemaphore: false,
    hasQuorum: false,
    create(clients): LibraryInstance {
      const client = clients[0];
      if (!client) throw new Error('empty-scripts: no client');
      let sha: Promise<string> | undefined;
      const call = async (key: string, shape: ScriptShape) => {
        sha ??= client.script('LOAD', EMPTY_SCRIPT) as Promise<string>;
        const keys = Array.from({ length: shape.keys }, (_, i) => `${key}:k${i}`);
        const args = Array.from({ length: shape.args }, (_, i) => String(i));
        await client.evalsha(await sha, shape.keys, ...keys, ...args);
      };
      return {
        mutex: (key) => ({
          acquire: async () => {
            const [first, ...rest] = shapes;
            if (first) await call(key, first);
            return {
              release: async () => {
                for (const shape of rest) await call(key, shape);
              },
            };
          },
        }),
        semaphore: undefined,
        close: async () => undefined,
      };
    },
  };
}

/** Starts a server under callgrind, runs `pairs` sequential pairs of `row`, and returns the server's instructions. */
async function run(row: LibraryRow, pairs: number, perPair?: ScriptShape[][]): Promise<number> {
  const server = await CallgrindServer.start();
  let failure: unknown;
  try {
    const clients = await openClients([server.url]);
    const library = row.create(clients);
    if (perPair) {
      setCommandTap((name, args) => {
        const shape = scriptShape(name, args);
        if (shape) perPair[perPair.length - 1]?.push(shape);
      });
    }
    try {
      for (let i = 0; i < pairs; i++) {
        perPair?.push([]);
        const held = await library.mutex(`bench:cg:${i}`).acquire();
        await held.release();
      }
    } finally {
      if (perPair) setCommandTap(undefined);
      await library.close();
      await closeClients(clients);
    }
  } catch (error) {
    failure = error;
  }
  const total = await server.stop();
  if (failure) throw failure;
  return total;
}

async function measure(ctx: BenchContext, row: LibraryRow, shapes?: ScriptShape[][]): Promise<CallgrindRow> {
  const quick = ctx.profile.name === 'quick';
  const warmPairs = quick ? 30 : 100;
  const pairs = quick ? 400 : 2_000;
  // Both runs at once (instruction counts do not depend on how the two share the CPUs), except when
  // reading script shapes: the tap sees every connection of this process.
  const [warmTotal, measuredTotal] = shapes
    ? [await run(row, warmPairs), await run(row, warmPairs + pairs, shapes)]
    : await Promise.all([run(row, warmPairs), run(row, warmPairs + pairs)]);
  const result: CallgrindRow = {
    rowId: row.id,
    library: row.library,
    kind: row.kind,
    setting: row.setting,
    pairs,
    warmPairs,
    warmTotal,
    measuredTotal,
    instructionsPerPair: instructionsPerPair(warmTotal, measuredTotal, pairs),
    scripts: shapes?.[shapes.length - 1] ?? [],
  };
  ctx.log(
    `  callgrind ${row.id}: ${Math.round(result.instructionsPerPair).toLocaleString('en-US')} instructions / pair`,
  );
  return result;
}

/** Instructions per pair for every row (Lockstep first, whose script shapes the empty-scripts row copies). */
export async function callgrind(ctx: BenchContext, rows: readonly LibraryRow[]): Promise<CallgrindRow[]> {
  if (!hasValgrind()) throw new Error('the callgrind workload needs valgrind (apt-get install valgrind)');
  const libs = ctx.libs;
  const chosen = libs ? rows.filter((r) => libs.has(r.id) || libs.has(r.id.split(':')[0] as string)) : rows;
  const lockstep = rows.find((r) => r.id === 'lockstep');
  if (!lockstep) throw new Error('callgrind: no lockstep row');
  const shapes: ScriptShape[][] = [];
  const out: CallgrindRow[] = [await measure(ctx, lockstep, shapes)];
  for (const row of chosen) if (row.id !== 'lockstep') out.push(await measure(ctx, row));
  const pairShapes = shapes[shapes.length - 1] ?? [];
  if (pairShapes.length) out.push(await measure(ctx, emptyScriptsRow(pairShapes)));
  else ctx.log('  callgrind: Lockstep sent no script in a pair; no empty-scripts row');
  return out;
}
