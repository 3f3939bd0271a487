// Small inline-SVG line plots (no chart library): grants per second, and wait percentiles.
const NS = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 110;
const PAD = { left: 34, right: 6, top: 8, bottom: 16 };

function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (value <= m * p) return m * p;
  return 10 * p;
}

/**
 * Draws `series` (arrays of numbers or null, one per point) into `container` as lines sharing a y axis.
 * @param {HTMLElement} container
 * @param {{ values: (number|null)[], className: string, area?: boolean, label: string }[]} series
 * @param {string} unit
 */
export function drawLines(container, series, unit) {
  const count = Math.max(1, ...series.map((s) => s.values.length));
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null))));
  const x = (i) => PAD.left + (i / Math.max(1, count - 1)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img' });
  svg.append(el('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0) }));
  svg.append(el('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: y(max), y2: y(max) }));
  svg.append(el('text', { class: 'label', x: 2, y: y(max) + 4 }, `${max}${unit}`));
  svg.append(el('text', { class: 'label', x: 2, y: y(0) }, `0`));
  svg.append(el('text', { class: 'label', x: PAD.left, y: H - 2 }, `-${count}s`));
  svg.append(el('text', { class: 'label', x: W - PAD.right - 24, y: H - 2 }, 'now'));
  for (const s of series) {
    const segments = [];
    let current = [];
    s.values.forEach((v, i) => {
      if (v === null) {
        if (current.length) segments.push(current);
        current = [];
      } else current.push([x(i), y(v)]);
    });
    if (current.length) segments.push(current);
    for (const points of segments) {
      const line = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
      if (s.area && points.length > 1) {
        const first = points[0];
        const last = points[points.length - 1];
        svg.append(el('polygon', { class: 'area', points: `${first[0]},${y(0)} ${line} ${last[0]},${y(0)}` }));
      }
      svg.append(el('polyline', { class: s.className, points: line }, undefined));
    }
  }
  const title = el('title', {}, series.map((s) => s.label).join(', '));
  svg.prepend(title);
  container.replaceChildren(svg);
}
