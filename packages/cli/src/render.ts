// Text output: tables for `ls`, the detail view of `inspect` and `watch`. Names are user input, so
// control and bidi characters are shown escaped: a name can never move the cursor or recolour text.
import type { NameDetail, NameSummary } from '@lockstep/core';

/** A name made safe for a terminal: control and bidi-override characters become `\uXXXX`. */
export function safe(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    const unsafe =
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069);
    out += unsafe ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return out;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Milliseconds as `850ms`, `12.3s` or `4m05s`. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const s = Math.floor(ms / 1_000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The `ls` table. */
export function renderList(prefix: string, names: readonly NameSummary[]): string {
  if (names.length === 0) return `No live locks or semaphores under prefix "${prefix}".`;
  const rows = [['KIND', 'NAME', 'LIMIT', 'USED', 'HOLDERS', 'WAITERS']];
  for (const n of names) {
    rows.push([
      n.kind,
      safe(n.name),
      n.limit === null ? '?' : String(n.limit),
      String(n.used),
      String(n.holders),
      String(n.waiters),
    ]);
  }
  return table(rows);
}

function time(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 23);
}

/** The detail view of one name (`inspect`, and each frame of `watch`). */
export function renderDetail(d: NameDetail): string {
  const lines = [
    `${d.kind} "${safe(d.name)}"  limit ${d.limit ?? '?'}  used ${d.used}  holders ${d.holders}  waiters ${d.waiters}`,
    '',
    'HOLDERS',
  ];
  if (d.holderList.length === 0) lines.push('  (none)');
  else {
    const rows = [['  FENCE', 'WEIGHT', 'GRANTED (UTC)', 'HELD FOR', 'EXPIRES IN']];
    for (const h of d.holderList) {
      rows.push([
        `  ${h.fence}`,
        String(h.weight),
        time(h.grantedAt),
        duration(d.now - h.grantedAt),
        duration(h.expiresAt - d.now),
      ]);
    }
    lines.push(table(rows));
  }
  lines.push('', 'WAITERS');
  if (d.waiterList.length === 0) lines.push(d.waiters > 0 ? `  ${d.waiters} queued, none alive` : '  (none)');
  const byPriority = new Map<number, NameDetail['waiterList'][number][]>();
  for (const w of d.waiterList) byPriority.set(w.priority, [...(byPriority.get(w.priority) ?? []), w]);
  for (const [priority, list] of [...byPriority].sort((a, b) => b[0] - a[0])) {
    const label = list[0]?.priorityName ? ` (${safe(list[0].priorityName)})` : '';
    lines.push(`  priority ${priority}${label}: ${list.length} waiting`);
    list.forEach((w, i) => {
      const age = w.since === null ? '' : `, waiting ${duration(d.now - w.since)}`;
      lines.push(`    #${i + 1} weight ${w.weight}${age}, alive for ${duration(w.aliveUntil - d.now)}`);
    });
  }
  return lines.join('\n');
}
