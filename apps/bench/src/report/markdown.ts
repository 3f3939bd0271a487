// The markdown report: machine and command, targets, ceiling, one table per workload, and every
// Lockstep figure as a ratio to the raw baseline and to the best peer.

import { MUTEX_CALLERS, MUTEX_HOLD_MS, SEM_CALLERS, SEM_HOLD_MS, SEM_LIMIT, WAIT_MS } from '../config.js';
import type { SuiteResults } from '../suite.js';
import { bullmqTable } from '../workloads/bullmq.js';
import { callgrindSection, integrationsSection } from './cost-sections.js';
import { diagnosticsSection } from './diagnostics-section.js';
import { bytes, int, ms, num, pct, ratio } from './format.js';
import {
  CONTENDED_METRICS,
  contendedTable,
  label,
  notes,
  RELAY_METRICS,
  ratios,
  relayTable,
  settingsLegend,
  UNCONTENDED_METRICS,
  uncontendedTable,
} from './tables.js';
import { DEEP_MAX, DEEP_MIN } from './targets.js';
import { targetsSection } from './targets-section.js';

export interface MachineInfo {
  readonly command: string;
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly redisVersion: string;
  readonly core: string;
  readonly pinning: string;
  readonly profile: string;
  readonly seconds: number;
  readonly loadBefore: string;
  readonly loadAfter: string;
}

const WORKLOAD_TITLES: Record<string, string> = {
  uncontended: '1. Uncontended: one caller, acquire + release on a new name each time',
  parallel: '2. Parallel uncontended: 64 callers on 64 names over one connection',
  'mutex-in-process': `3. Contended mutex, in-process: ${MUTEX_CALLERS} callers on one name, hold ${MUTEX_HOLD_MS} ms`,
  'mutex-cross-process': `4. Contended mutex, cross-process: ${MUTEX_CALLERS} callers in 4 processes, hold ${MUTEX_HOLD_MS} ms`,
  relay: `4b. Relay between two processes (no barging possible), hold ${MUTEX_HOLD_MS} ms`,
  'semaphore-in-process': `5. Contended semaphore, in-process: limit ${SEM_LIMIT}, ${SEM_CALLERS} callers, hold ${SEM_HOLD_MS} ms`,
  'semaphore-cross-process': `5b. Contended semaphore, cross-process: limit ${SEM_LIMIT}, ${SEM_CALLERS} callers in 4 processes, hold ${SEM_HOLD_MS} ms`,
  'quorum-uncontended': '8. Quorum (5 independent servers), uncontended: one caller, new name each time',
  'quorum-contended': `8b. Quorum (5 independent servers), contended: 8 callers on one name, hold ${MUTEX_HOLD_MS} ms`,
};

export function renderMarkdown(results: SuiteResults, machine: MachineInfo, chartPath: string): string {
  const rows = results.rows;
  const of = (w: string) => rows.filter((r) => r.workload === w);
  const out: string[] = [];
  out.push('# Lockstep benchmark report', '');
  out.push(
    `Command: \`${machine.command}\` (profile **${machine.profile}**, ${machine.seconds.toFixed(0)} s, ${machine.date}).`,
    '',
  );
  out.push('| Machine | |', '|---|---|');
  out.push(`| CPU | ${machine.cpu}, ${machine.cores} cores |`);
  out.push(`| Memory | ${machine.memoryGiB.toFixed(0)} GiB |`);
  out.push(`| OS | ${machine.os} |`);
  out.push(`| Node | ${machine.node} |`);
  out.push(
    `| Redis | redis-server ${machine.redisVersion} on loopback, \`--save '' --appendonly no\`, fresh temp dir |`,
  );
  out.push(`| Measured | ${machine.core} |`);
  out.push(`| Pinning | ${machine.pinning} |`);
  out.push(`| Load average (1/5/15 min) | before ${machine.loadBefore}; after ${machine.loadAfter} |`);
  out.push('');
  out.push(
    'Every figure is the median over rounds (3 in the full profile; 5 for the two uncontended workloads, whose rounds are short); libraries are interleaved (rotated order every round), each round on a fresh name after its own warm-up. ' +
      `Every library waits at most ${WAIT_MS} ms per acquisition (retry counts raised to cover that; see Settings).`,
    '',
  );

  const baselineRowId = rows.find((r) => r.kind === 'baseline')?.rowId;
  out.push(...targetsSection(rows, baselineRowId));

  const idleRoundTrip = results.ceiling.find((c) => c.idleMs !== undefined && c.idleMs > 0)?.p50Ms;
  if (results.ceiling.length) {
    out.push('## Ceiling of this machine (redis-benchmark, no pipelining)', '');
    out.push('| Command | Clients | ops/s | p50 |', '|---|---:|---:|---:|');
    for (const c of results.ceiling) {
      const label =
        c.idleMs === undefined
          ? c.command
          : `${c.command}, ${c.idleMs ? `${c.idleMs} ms idle before each` : 'back to back'}`;
      out.push(`| ${label} | ${c.clients} | ${num(c.opsPerSec)} | ${ms(c.p50Ms)} |`);
    }
    out.push('');
    if (idleRoundTrip !== undefined)
      out.push(
        `A hand-off needs at least one round trip between the holder's release and the next holder's grant, and after a hold both processes wake from idle: ${ms(idleRoundTrip)} here (the row with 1 ms idle). So no FIFO hand-off can hold a window for more than hold / (hold + ${ms(idleRoundTrip)}) of the time; only barging (the releasing caller or a spinning retry taking it back) beats that.`,
        '',
      );
  }

  const uncontended = (w: string) => {
    const r = of(w);
    if (!r.length) return;
    out.push(
      `## ${WORKLOAD_TITLES[w]}`,
      '',
      ...uncontendedTable(r),
      '',
      ...notes(r),
      ...ratios(r, UNCONTENDED_METRICS),
      '',
    );
    if (w !== 'quorum-uncontended')
      out.push('Retry settings never come into play without contention, so only default rows run here.', '');
  };
  const contended = (w: string) => {
    const r = of(w);
    if (!r.length) return;
    const mutex = !w.startsWith('semaphore');
    const ls = r.find((x) => x.rowId === 'lockstep')?.median;
    out.push(`## ${WORKLOAD_TITLES[w]}`, '');
    if (ls) {
      const hold = ls.holdMeanMs ?? Number.NaN;
      const perHold = mutex ? 1 : SEM_LIMIT;
      const nominal = mutex ? MUTEX_HOLD_MS : SEM_HOLD_MS;
      const fifoBound =
        idleRoundTrip === undefined
          ? ''
          : ` One idle round trip per hand-off (${ms(idleRoundTrip)}, see the ceiling section) bounds any FIFO hand-off at ${ratio(hold / (hold + idleRoundTrip))} of that ceiling.`;
      out.push(
        `Hold-bound ceiling: nominal ${num((perHold * 1_000) / nominal)}/s (${perHold} / ${nominal} ms); with Lockstep's measured mean hold of ${ms(hold)}: ${num((perHold * 1_000) / hold)}/s.${fifoBound}`,
        '',
      );
    }
    out.push(...contendedTable(r, mutex), '', ...notes(r), ...ratios(r, CONTENDED_METRICS), '');
  };
  const relaySection = () => {
    const relay = of('relay');
    if (relay.length)
      out.push(
        `## ${WORKLOAD_TITLES.relay}`,
        '',
        ...relayTable(relay),
        '',
        ...notes(relay),
        ...ratios(relay, RELAY_METRICS),
        '',
      );
  };
  const deepSection = () => {
    const deep = of('deep-queue');
    if (deep.length) {
      out.push('## 6. Deep queue (Lockstep): waiters parked on one semaphore of limit 1', '');
      out.push(
        '| Build | Waiters parked | grants/s | client cmds / grant | server calls / grant | script µs / grant | Δ | measured depth | waiter refreshes/s | fill time |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      );
      const sortedDeep = [...deep].sort((a, b) => (a.median.waiters ?? 0) - (b.median.waiters ?? 0));
      for (const r of sortedDeep) {
        const m = r.median;
        out.push(
          `| ${label(r)} | ${int(m.waiters)} | ${num(m.opsPerSec)} | ${num(m.cmdsPerOp)} | ${num(m.serverCallsPerOp)} | ${num(m.scriptUsPerOp)} | ${pct(m.crossCheck)} | ${int(m.depth)} | ${num(m.heartbeatsPerSec)} | ${ms(m.fillMs)} |`,
        );
      }
      for (const id of [...new Set(deep.map((r) => r.rowId))]) {
        const rate = (n: number) => deep.find((r) => r.rowId === id && r.median.waiters === n)?.median.opsPerSec;
        const lo = rate(DEEP_MIN);
        const hi = rate(DEEP_MAX);
        const row = deep.find((r) => r.rowId === id);
        if (row && lo && hi)
          out.push('', `${label(row)}: grant rate at ${int(DEEP_MAX)} waiters / at ${DEEP_MIN} = ${ratio(hi / lo)}.`);
      }
      out.push(
        '',
        'Each grantee releases at once and queues again at the tail, so the depth stays constant. Waiters refresh their place about every 3.3 s (a third of the default waiterTtlMs of 10 s), each process in one batched call per name (500 waiters per call), so "waiter refreshes/s" counts refreshed places, not calls; the measured windows of each depth together span one such period (full profile), so those refreshes are in the figures, which are totals over the windows. The quick profile’s window is shorter than a refresh period.',
        '',
      );
    }
  };
  const memorySection = () => {
    const memLocks = of('memory-locks');
    const memWaiters = of('memory-waiters');
    const memHolders = of('memory-holders');
    const lsHolder = memHolders.find((r) => r.rowId === 'lockstep')?.median.bytesPerOp;
    if (memLocks.length || memWaiters.length || memHolders.length) {
      out.push('## 7. Memory (Redis `used_memory`)', '');
      const rawBytes = memLocks.find((r) => r.kind === 'raw')?.median.bytesPerOp;
      out.push('| Library | What | bytes each | ratio | keys each |', '|---|---|---:|---:|---:|');
      for (const r of memLocks) {
        const b = r.median.bytesPerOp;
        const x = b !== undefined && rawBytes ? b / rawBytes : Number.NaN;
        out.push(`| ${label(r)} | ${r.setting} | ${bytes(b)} | ${ratio(x)} raw | ${num(r.median.keysPerOp)} |`);
      }
      for (const r of memHolders) {
        const b = r.median.bytesPerOp;
        const x = b !== undefined && lsHolder ? b / lsHolder : Number.NaN;
        out.push(`| ${label(r)} | ${r.setting} | ${bytes(b)} | ${ratio(x)} Lockstep | ${num(r.median.keysPerOp)} |`);
      }
      for (const r of memWaiters) out.push(`| ${label(r)} | ${r.setting} | ${bytes(r.median.bytesPerOp)} | — | — |`);
      out.push(
        '',
        'Bytes each are `used_memory` deltas over many names held (or waiters parked) at once, divided by their number. Semaphore holders fill names of limit 5 (5 holders per name), so a name’s own keys are shared by its holders. The peers keep no waiters in Redis (they poll), so a parked waiter costs them no memory but costs commands instead.',
        '',
      );
    }
  };
  uncontended('uncontended');
  uncontended('parallel');
  contended('mutex-in-process');
  contended('mutex-cross-process');
  relaySection();
  contended('semaphore-in-process');
  contended('semaphore-cross-process');
  deepSection();
  memorySection();
  uncontended('quorum-uncontended');
  contended('quorum-contended');
  if (of('bullmq').length) out.push(...bullmqTable(of('bullmq')));
  diagnosticsSection(of('diagnostics'), out);
  out.push(...callgrindSection(results.callgrind));
  out.push(...integrationsSection(results.integrations));

  out.push(
    '## Wait-time distributions under contention',
    '',
    `![Wait-time distributions: fair vs. starving](${chartPath})`,
    '',
  );
  out.push('## Settings of each row', '', ...settingsLegend(rows), '');
  out.push('## How to read the figures', '');
  out.push(
    '- **client commands / op** are client round trips, counted exactly by wrapping `Redis.prototype.sendCommand` in every process (so subscriber connections made with `duplicate()` count too). The ≤ 6 and ≤ 8 command targets apply to this figure.',
    '- **server calls / op** come from the `INFO commandstats` delta of the server(s). Redis counts the commands a Lua script runs inside it too, so for script-based libraries this is larger than the round trips.',
    '- **script µs / op** is the server time spent in EVAL/EVALSHA per operation (commandstats `usec`, script internals included): the Redis CPU a library’s scripts cost.',
    '- **Δ** cross-checks the two: the relative difference between the server’s count and ours for the command names the clients sent (script internals use other names here). 0% means the client-side count is exact.',
    '- **hold** is measured (acquire resolved → release called) with the same `setTimeout` hold for every library; Node sleeps at least 1 ms, usually a little more, so ceilings are given both nominally and for the measured hold.',
    '- **wait** is from calling acquire to its resolution; **wait max** includes waits still in progress when the round ended (a starving caller’s wait is at least that). **gap** is from the previous holder calling release to the next acquire resolving, on `process.hrtime` (CLOCK_MONOTONIC, shared by all processes).',
    '- **self hand-off** is the share of acquisitions taken by the caller that held the lock just before (barging); **starved** counts callers with no acquisition in a round; **Jain** is (Σx)² / (n·Σx²) over acquisitions per caller.',
    '- **timeouts**: acquisitions given up after the wait budget inside the measured window.',
  );
  out.push('');
  return out.join('\n');
}
