// The dashboard page: a list of every lock and semaphore and one name in detail, kept live by
// Server-Sent Events. Plain ES modules, no framework; names are user input and only ever textContent.
import { clock, duration, h } from './format.js';
import { drawLines } from './plot.js';

const $ = (id) => document.getElementById(id);
const state = { config: null, snapshot: null, offset: 0, selected: null, source: null };

function readHash() {
  const m = /^#\/(lock|semaphore)\/(.*)$/.exec(location.hash);
  if (!m) return null;
  try {
    return { kind: m[1], name: decodeURIComponent(m[2]) };
  } catch {
    // A link mangled by hand or by a mail client (`%E0%A4%A`): show the list, not a dead page.
    return null;
  }
}

function select(selection) {
  const hash = selection ? `#/${selection.kind}/${encodeURIComponent(selection.name)}` : '';
  if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname + location.search);
  state.selected = selection;
  connect();
  render();
}

function connect() {
  state.source?.close();
  const q = state.selected ? `?kind=${state.selected.kind}&name=${encodeURIComponent(state.selected.name)}` : '';
  const source = new EventSource(`api/events${q}`);
  state.source = source;
  source.addEventListener('update', (event) => {
    state.snapshot = JSON.parse(event.data);
    state.offset = state.snapshot.at - Date.now();
    setStatus('live', 'live');
    render();
  });
  source.addEventListener('failure', (event) => setStatus('down', JSON.parse(event.data).message));
  source.onerror = () => setStatus('down', 'reconnecting…');
}

function setStatus(kind, text) {
  const status = $('status');
  status.className = `status ${kind}`;
  status.textContent = text;
}

function visibleNames() {
  const snapshot = state.snapshot;
  if (!snapshot) return [];
  const filter = $('filter').value.toLowerCase();
  const names = snapshot.names.filter((n) => n.name.toLowerCase().includes(filter));
  if ($('sort').value === 'waiters') names.sort((a, b) => b.waiters - a.waiters || (a.name < b.name ? -1 : 1));
  return names;
}

function usage(n) {
  const limit = n.limit ?? '?';
  const share = n.limit ? Math.min(1, n.used / n.limit) : 0;
  const bar = h('span', { class: 'bar' }, h('span', { style: { width: `${(share * 100).toFixed(0)}%` } }));
  return h('td', { class: 'num' }, bar, `${n.used} / ${limit}`);
}

function renderList() {
  const names = visibleNames();
  const rows = names.map((n) => {
    const selected = state.selected && state.selected.kind === n.kind && state.selected.name === n.name;
    return h(
      'tr',
      { class: selected ? 'selected' : '', 'data-kind': n.kind, onclick: () => select({ kind: n.kind, name: n.name }) },
      h('td', {}, h('span', { class: `kind ${n.kind}`, text: n.kind })),
      h('td', { class: 'name', text: n.name }),
      usage(n),
      h('td', { class: 'num', text: String(n.holders) }),
      h('td', { class: `num ${n.waiters > 0 ? 'waiting' : ''}`, text: String(n.waiters) }),
    );
  });
  $('names').tBodies[0].replaceChildren(...rows);
  $('empty').hidden = !state.snapshot || state.snapshot.names.length > 0;
}

async function forceRelease(kind, name, fence) {
  const which = fence === null ? 'every holder' : `the holder with fence ${fence}`;
  if (!confirm(`Force-release ${which} of ${kind} "${name}"?\n\nThe holder loses its lease at its next extension.`))
    return;
  const response = await fetch('api/release', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Lockstep-Action': '1' },
    body: JSON.stringify({ kind, name, fence }),
  });
  const body = await response.json().catch(() => ({}));
  setStatus(
    response.ok ? 'live' : 'down',
    response.ok ? `released ${body.released}` : (body.error?.message ?? 'failed'),
  );
}

function renderHolders(detail) {
  const actions = state.config?.allowActions;
  const rows = (detail?.holderList ?? []).map((holder) =>
    h(
      'tr',
      {},
      h('td', { class: 'num', text: String(holder.fence) }),
      h('td', { class: 'num', text: String(holder.weight) }),
      h('td', { text: `${clock(holder.grantedAt)} (${duration(detail.now - holder.grantedAt)} ago)` }),
      h('td', { class: 'num countdown', 'data-expires': holder.expiresAt }),
      h(
        'td',
        {},
        actions
          ? h('button', {
              type: 'button',
              class: 'danger',
              text: 'Release',
              onclick: () => forceRelease(detail.kind, detail.name, holder.fence),
            })
          : '',
      ),
    ),
  );
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 5, class: 'muted', text: 'No holders' })));
  $('holders').tBodies[0].replaceChildren(...rows);
  $('release-all').hidden = !actions || !detail || detail.holderList.length === 0;
  tickCountdowns();
}

function renderWaiters(detail) {
  const groups = new Map();
  for (const w of detail?.waiterList ?? []) groups.set(w.priority, [...(groups.get(w.priority) ?? []), w]);
  const blocks = [...groups]
    .sort((a, b) => b[0] - a[0])
    .map(([priority, list]) =>
      h(
        'div',
        { class: 'group' },
        h('div', {
          class: 'group-title',
          text: `Priority ${list[0].priorityName ? `${list[0].priorityName} (${priority})` : priority}: ${list.length} waiting`,
        }),
        h(
          'ol',
          {},
          ...list.map((w) =>
            h('li', {
              text: `weight ${w.weight}${w.since === null ? '' : `, waiting ${duration(detail.now - w.since)}`}`,
            }),
          ),
        ),
      ),
    );
  if (blocks.length === 0) {
    const queued = detail?.waiters ?? 0;
    blocks.push(h('p', { class: 'muted', text: queued > 0 ? `${queued} queued, none alive` : 'No waiters' }));
  }
  $('waiters').replaceChildren(...blocks);
}

function renderPlots(rates) {
  const all = rates?.points ?? [];
  // Plot from the first second with grants (at least the last 30 s), so a young series is readable.
  const first = all.findIndex((p) => p.grants > 0);
  const points = all.slice(Math.max(0, Math.min(first < 0 ? all.length : first, all.length - 30)));
  if (!rates?.recorded) {
    const note = 'No grant statistics: start your Lockstep instances with { stats: true }.';
    $('rate-plot').replaceChildren(h('p', { class: 'muted', text: note }));
    $('wait-plot').replaceChildren(h('p', { class: 'muted', text: 'No data.' }));
    return;
  }
  drawLines(
    $('rate-plot'),
    [{ values: points.map((p) => p.grants), className: 'grants', area: true, label: 'grants/s' }],
    '/s',
  );
  drawLines(
    $('wait-plot'),
    [
      { values: points.map((p) => p.waitP50Ms), className: 'p50', label: 'p50' },
      { values: points.map((p) => p.waitP99Ms), className: 'p99', label: 'p99' },
    ],
    ' ms',
  );
}

function renderDetail() {
  const pane = $('detail-pane');
  pane.hidden = !state.selected;
  if (!state.selected) return;
  const selected = state.snapshot?.selected;
  const current =
    selected && selected.kind === state.selected.kind && selected.name === state.selected.name ? selected : null;
  const detail = current?.detail ?? null;
  $('detail-kind').textContent = state.selected.kind;
  $('detail-kind').className = `kind ${state.selected.kind}`;
  $('detail-name').textContent = state.selected.name;
  $('detail-gone').hidden = !current || detail !== null;
  $('detail-summary').textContent = detail
    ? `${detail.used} of ${detail.limit ?? '?'} permits used · ${detail.holders} holder(s) · ${detail.waiters} waiter(s)`
    : '';
  renderHolders(detail);
  renderWaiters(detail);
  renderPlots(current?.rates);
}

function render() {
  if (state.snapshot) $('prefix').textContent = state.snapshot.prefix;
  renderList();
  renderDetail();
}

function tickCountdowns() {
  const now = Date.now() + state.offset;
  for (const cell of document.querySelectorAll('.countdown')) {
    const left = Number(cell.getAttribute('data-expires')) - now;
    cell.textContent = duration(Math.max(0, left));
    cell.classList.toggle('expiring', left < 2000);
  }
}

async function start() {
  state.config = await (await fetch('api/config')).json();
  $('filter').addEventListener('input', renderList);
  $('sort').addEventListener('change', renderList);
  $('close-detail').addEventListener('click', () => select(null));
  $('release-all').addEventListener('click', () => {
    if (state.selected) forceRelease(state.selected.kind, state.selected.name, null);
  });
  window.addEventListener('hashchange', () => select(readHash()));
  setInterval(tickCountdowns, 250);
  select(readHash());
}

start();
