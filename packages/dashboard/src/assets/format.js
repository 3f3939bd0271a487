// Formatting helpers for the page. Every name goes into the DOM as textContent, never as HTML.

/** Milliseconds as `850 ms`, `12.3 s` or `4 m 05 s`. */
export function duration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}

/** A time of day in the viewer's locale. */
export function clock(epochMs) {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour12: false });
}

/**
 * Creates an element with text content and attributes. `style` is an object of CSSOM properties
 * (`{ width: '40%' }`), set through `node.style`: the page's CSP (`style-src 'self'`) blocks style
 * attributes, so a `style="..."` string would be dropped.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'style') Object.assign(node.style, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const child of children) node.append(child);
  return node;
}
