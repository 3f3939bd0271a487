// Explains a violation from the history: for each grant involved, what its worker saw (invoke,
// grant, promised validity, every extension, release or loss) and the faults and process events
// around it, so an overlap can be reasoned about without re-running the scenario.
import type { HistoryEvent } from './history.js';

/** Times in an explanation are relative to this origin (ms, 3 decimals). */
function rel(t: number, origin: number): string {
  const d = t - origin;
  return `${d >= 0 ? '+' : ''}${d.toFixed(3)}`;
}

function grantLines(events: readonly HistoryEvent[], id: string, origin: number): string[] {
  const grant = events.find((e) => e.e === 'grant' && e.id === id) as Extract<HistoryEvent, { e: 'grant' }> | undefined;
  if (!grant) return [`${id}: no grant recorded`];
  const lines = [
    `${id} (worker ${grant.w}, name "${grant.name}", fence ${grant.fence}, ttl ${grant.ttl ?? '?'} ms):`,
    `  invoked ${rel(grant.i ?? grant.t, origin)}, granted ${rel(grant.t, origin)} (acquire took ${(grant.t - (grant.i ?? grant.t)).toFixed(1)} ms), valid until ${rel(grant.v, origin)} (${(grant.v - grant.t).toFixed(1)} ms left at the grant)`,
  ];
  for (const e of events) {
    if (!('id' in e) || e.id !== id || e.e === 'grant') continue;
    if (e.e === 'extend')
      lines.push(
        `  extended: invoked ${rel(e.i, origin)}, returned ${rel(e.t, origin)}, valid until ${rel(e.v, origin)}`,
      );
    else if (e.e === 'release') lines.push(`  release invoked ${rel(e.t, origin)}`);
    else if (e.e === 'ok') lines.push(`  release returned ${rel(e.t, origin)} (released: ${e.released})`);
    else if (e.e === 'lost') lines.push(`  lost ${rel(e.t, origin)} (${e.reason})`);
    else if (e.e === 'fail') lines.push(`  ${e.op ?? '?'} failed ${rel(e.t, origin)}: ${e.code}`);
    else if (e.e === 'invoke' && e.op !== 'acquire') lines.push(`  ${e.op} invoked ${rel(e.t, origin)}`);
  }
  return lines;
}

/**
 * Lines describing the grants `ids` and the faults and process events from `beforeMs` before the
 * earliest invoke to the latest recorded event of those grants. Times are relative to the earliest
 * of those grants.
 */
export function explainGrants(events: readonly HistoryEvent[], ids: readonly string[], beforeMs = 3_000): string[] {
  const own = events.filter((e) => 'id' in e && e.id !== undefined && ids.includes(e.id));
  const grantTimes = own.flatMap((e) => (e.e === 'grant' ? [e.t] : []));
  if (grantTimes.length === 0) return [`no grant recorded for ${ids.join(', ')}`];
  const origin = Math.min(...grantTimes);
  const invokes = own.map((e) => (e.e === 'grant' ? (e.i ?? e.t) : e.t));
  const from = Math.min(...invokes) - beforeMs;
  const to = Math.max(...own.map((e) => (e.e === 'grant' || e.e === 'extend' ? e.v : e.t)));
  const lines = [`times in ms relative to ${origin.toFixed(3)} (host monotonic clock)`];
  for (const id of ids) lines.push(...grantLines(events, id, origin));
  const around = events.filter((e) => (e.e === 'fault' || e.e === 'process') && e.t >= from && e.t <= to);
  lines.push(around.length > 0 ? 'faults and process events around them:' : 'no fault or process event around them');
  for (const e of around) {
    if (e.e === 'fault') lines.push(`  ${rel(e.t, origin)} fault ${e.kind}${e.detail ? ` ${e.detail}` : ''}`);
    else if (e.e === 'process') lines.push(`  ${rel(e.t, origin)} ${e.w} ${e.what}`);
  }
  return lines;
}
