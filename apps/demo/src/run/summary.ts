// The live summary line printed every few seconds while the demo runs.
import type { DemoEvent } from '../evidence.js';
import type { Tally } from '../load/load-generator.js';

/** One line: what happened so far, from the evidence and the clients' counts. */
export function summaryLine(elapsedS: number, events: readonly DemoEvent[], tally: Tally): string {
  const n = (k: DemoEvent['k']) => events.filter((e) => e.k === k).length;
  const pays = events.filter((e) => e.k === 'pay');
  const stale = pays.filter((e) => e.result === 'stale').length;
  const runs = new Set(events.filter((e) => e.k === 'cron-run').map((e) => e.k === 'cron-run' && e.slot)).size;
  const t = (key: string) => tally.get(key) ?? 0;
  return [
    `t+${String(elapsedS).padStart(3)}s`,
    `payments ${pays.length} (stale rejected ${stale})`,
    `exports ${n('export')} (503 ${t('export 503')})`,
    `cron ticks run ${runs}`,
    `reports ${n('report')} (hung up ${t('report aborted')})`,
    `jobs done ${n('job')}`,
  ].join(' | ');
}
