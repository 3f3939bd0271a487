// What `watch` prints each interval: the name's snapshot, "not there yet", or Redis being
// unreachable; as a redrawn screen (terminal), a plain block (pipe) or one NDJSON line (`--json`).
import type { NameDetail } from '@lockstep/core';
import { inspectJson } from '../json.js';
import { duration, renderDetail, safe } from '../render.js';

/** Where a frame goes: a terminal is redrawn in place; `json` is NDJSON. */
export interface FrameTarget {
  readonly tty: boolean;
  readonly json: boolean;
}

/** Redis lost mid-watch. Times are epoch ms by this machine's clock. */
export interface Outage {
  /** When the first snapshot that failed was asked for. */
  readonly since: number;
  /** When the last snapshot arrived. */
  readonly lastSnapshotAt: number;
  /** Why, as the client or the failed snapshot says. */
  readonly error: string;
}

// Cursor home, then clear the screen: the frame is redrawn in place, not scrolled.
const CLEAR = '\u001b[H\u001b[2J';

/** `HH:MM:SS` (UTC) of an epoch ms. */
export function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}

function textFrame(target: FrameTarget, now: number, body: string): string {
  if (target.tty) return `${CLEAR}lockstep watch  ${clock(now)} UTC  (Ctrl-C to quit)\n\n${body}\n`;
  return `lockstep watch  ${clock(now)} UTC\n${body}\n\n`;
}

/** The frame of a snapshot: the detail view, or "not there yet" while the name has no keys. */
export function snapshotFrame(
  target: FrameTarget,
  prefix: string,
  name: string,
  detail: NameDetail | undefined,
  now = Date.now(),
): string {
  if (target.json) {
    const at = new Date(now).toISOString();
    return `${JSON.stringify(detail ? { at, ...inspectJson(prefix, detail) } : { at, name, found: false })}\n`;
  }
  const body = detail
    ? renderDetail(detail)
    : `no lock or semaphore named "${safe(name)}" yet: no holders, waiters or keys (still watching)`;
  return textFrame(target, now, body);
}

/** The frame shown while Redis at `where` is unreachable: since when, why, and the last snapshot's time. */
export function outageFrame(
  target: FrameTarget,
  where: string,
  name: string,
  outage: Outage,
  now = Date.now(),
): string {
  if (target.json) {
    const record = {
      at: new Date(now).toISOString(),
      name,
      unreachable: true,
      since: new Date(outage.since).toISOString(),
      downMs: Math.max(0, now - outage.since),
      error: outage.error,
    };
    return `${JSON.stringify(record)}\n`;
  }
  const body = [
    `Redis at ${safe(where)} unreachable for ${duration(now - outage.since)} (lost at ${clock(outage.since)} UTC), retrying`,
    `  ${safe(outage.error)}`,
    `last snapshot of "${safe(name)}" at ${clock(outage.lastSnapshotAt)} UTC`,
  ];
  return textFrame(target, now, body.join('\n'));
}
