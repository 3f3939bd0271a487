// The wait-time chart, as plain SVG text (no native dependencies): per library, a log-scale
// histogram of wait times under contention with p50/p99/max marks and the ideal FIFO wait, and the
// acquisitions of each caller — "fair vs. starving" at a glance.
import { quantile, sorted } from '../infra/stats.js';
import type { RowResult } from '../results.js';

export interface ChartPanel {
  readonly title: string;
  readonly rows: readonly RowResult[];
  /** Ideal FIFO wait (callers × hold, or callers / limit × hold), ms. */
  readonly idealMs: number;
}

const WIDTH = 1100;
const LABEL = 250;
const PLOT = 560;
const BARS_X = LABEL + PLOT + 40;
const BARS_W = WIDTH - BARS_X - 20;
const ROW_H = 30;
const MIN_MS = 0.1;
const MAX_MS = 10_000;
const BINS = 56;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function x(ms: number): number {
  const clamped = Math.min(MAX_MS, Math.max(MIN_MS, ms));
  return LABEL + (Math.log10(clamped / MIN_MS) / Math.log10(MAX_MS / MIN_MS)) * PLOT;
}

function panel(p: ChartPanel, top: number): { svg: string; height: number } {
  const parts: string[] = [];
  const header = 44;
  const height = header + p.rows.length * ROW_H + 26;
  parts.push(`<text x="10" y="${top + 20}" class="title">${esc(p.title)}</text>`);
  parts.push(
    `<text x="${LABEL}" y="${top + 38}" class="axis">wait time per acquisition (log scale); black tick p50, red tick p99, ▲ max; dashed: ideal FIFO wait ${p.idealMs.toFixed(1)} ms</text>`,
  );
  parts.push(`<text x="${BARS_X}" y="${top + 38}" class="axis">acquisitions per caller (red: none)</text>`);
  for (const tick of [0.1, 1, 10, 100, 1_000, 10_000]) {
    const tx = x(tick);
    parts.push(
      `<line x1="${tx}" y1="${top + header}" x2="${tx}" y2="${top + header + p.rows.length * ROW_H}" class="grid"/>`,
    );
    parts.push(
      `<text x="${tx}" y="${top + height - 8}" class="axis" text-anchor="middle">${tick >= 1_000 ? `${tick / 1_000} s` : `${tick} ms`}</text>`,
    );
  }
  const ix = x(p.idealMs);
  parts.push(
    `<line x1="${ix}" y1="${top + header}" x2="${ix}" y2="${top + header + p.rows.length * ROW_H}" class="ideal"/>`,
  );
  p.rows.forEach((row, i) => {
    const y = top + header + i * ROW_H;
    const mid = y + ROW_H / 2;
    const label = `${row.library}${row.variant === 'tuned' ? ' (tuned)' : row.variant === 'stats' ? ' (stats)' : ''}`;
    if (i % 2 === 0) parts.push(`<rect x="0" y="${y}" width="${WIDTH}" height="${ROW_H}" class="band"/>`);
    parts.push(
      `<text x="10" y="${mid + 4}" class="${row.kind === 'lockstep' ? 'label ls' : 'label'}">${esc(label)}</text>`,
    );
    const waits = sorted(row.waitsMs ?? []);
    if (waits.length > 0) {
      const counts = new Array<number>(BINS).fill(0);
      for (const w of waits) {
        const pos = Math.log10(Math.min(MAX_MS, Math.max(MIN_MS, w)) / MIN_MS) / Math.log10(MAX_MS / MIN_MS);
        const bin = Math.min(BINS - 1, Math.floor(pos * BINS));
        counts[bin] = (counts[bin] ?? 0) + 1;
      }
      const most = Math.max(...counts);
      counts.forEach((c, b) => {
        if (c === 0) return;
        const h = Math.max(1.5, ((ROW_H - 8) * Math.sqrt(c)) / Math.sqrt(most));
        const bx = LABEL + (b / BINS) * PLOT;
        parts.push(
          `<rect x="${bx.toFixed(1)}" y="${(mid - h / 2).toFixed(1)}" width="${(PLOT / BINS - 1).toFixed(1)}" height="${h.toFixed(1)}" class="${row.kind === 'lockstep' ? 'hist ls' : 'hist'}"/>`,
        );
      });
      const p50 = quantile(waits, 0.5);
      const p99 = quantile(waits, 0.99);
      const max = Math.max(waits[waits.length - 1] as number, row.median.waitMaxMs ?? 0);
      parts.push(`<line x1="${x(p50)}" y1="${y + 3}" x2="${x(p50)}" y2="${y + ROW_H - 3}" class="p50"/>`);
      parts.push(`<line x1="${x(p99)}" y1="${y + 3}" x2="${x(p99)}" y2="${y + ROW_H - 3}" class="p99"/>`);
      parts.push(`<text x="${x(max)}" y="${mid + 4}" class="max" text-anchor="middle">▲</text>`);
    }
    const per = row.perCaller ?? [];
    const top1 = Math.max(1, ...per);
    const bw = per.length ? BARS_W / per.length : 0;
    per.forEach((c, k) => {
      const h = c === 0 ? ROW_H - 8 : Math.max(1, ((ROW_H - 8) * c) / top1);
      parts.push(
        `<rect x="${(BARS_X + k * bw).toFixed(1)}" y="${(y + ROW_H - 4 - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" class="${c === 0 ? 'starved' : 'caller'}"/>`,
      );
    });
  });
  return { svg: parts.join('\n'), height };
}

/** The whole chart: one panel per contended workload. */
export function waitChart(panels: readonly ChartPanel[]): string {
  let top = 0;
  const body: string[] = [];
  for (const p of panels) {
    if (p.rows.length === 0) continue;
    const { svg, height } = panel(p, top);
    body.push(svg);
    top += height + 10;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}" font-family="Helvetica, Arial, sans-serif">
<style>
.title { font-size: 15px; font-weight: bold; fill: #222; }
.axis { font-size: 10px; fill: #555; }
.label { font-size: 12px; fill: #333; }
.label.ls { font-weight: bold; fill: #0b5394; }
.band { fill: #f4f6f8; }
.grid { stroke: #ddd; stroke-width: 1; }
.ideal { stroke: #2e7d32; stroke-width: 1.5; stroke-dasharray: 4 3; }
.hist { fill: #9aa5b1; }
.hist.ls { fill: #3d85c6; }
.p50 { stroke: #000; stroke-width: 2; }
.p99 { stroke: #d32f2f; stroke-width: 2; }
.max { font-size: 10px; fill: #d32f2f; }
.caller { fill: #6aa84f; }
.starved { fill: #e06666; }
</style>
<rect x="0" y="0" width="${WIDTH}" height="${top}" fill="#fff"/>
${body.join('\n')}
</svg>
`;
}
