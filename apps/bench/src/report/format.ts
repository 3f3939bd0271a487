// Number formatting for the report.

/** Rates and counts: thousands separators above 1,000, two decimals below 10. */
export function num(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 1_000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** Milliseconds: µs precision below 1 ms, seconds above 10 s. */
export function ms(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (v >= 10_000) return `${(v / 1_000).toFixed(1)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 1) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

/** A ratio such as 0.97×. */
export function ratio(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return `${v.toFixed(2)}×`;
}

export function pct(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
}

export function bytes(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return `${Math.round(v).toLocaleString('en-US')} B`;
}

/** A count (medians of counts over an odd number of rounds are whole). */
export function int(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1);
}
