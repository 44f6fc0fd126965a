// Small SVG charts drawn by our own code (no chart library): vertical bars by category, horizontal bars by name.
const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Vertical bars: items [{label, value}]. */
export function columns(items, { width = 560, height = 180, colour = '#1e5aa8', className = 'chart' } = {}) {
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: className, role: 'img' });
  const max = Math.max(1, ...items.map(i => i.value));
  const slot = (width - 40) / Math.max(1, items.length);
  items.forEach((item, i) => {
    const h = (height - 40) * item.value / max;
    const x = 30 + i * slot + slot * 0.15;
    const bar = el('rect', { x, y: height - 24 - h, width: slot * 0.7, height: Math.max(0, h), fill: colour, class: 'bar' });
    bar.append(el('title', {}, `${item.label}: ${item.value}`));
    svg.append(bar, el('text', { x: x + slot * 0.35, y: height - 8, 'text-anchor': 'middle', 'font-size': 11 }, item.label),
      el('text', { x: x + slot * 0.35, y: height - 28 - h, 'text-anchor': 'middle', 'font-size': 11 }, String(item.value)));
  });
  svg.append(el('line', { x1: 28, y1: height - 24, x2: width - 8, y2: height - 24, stroke: '#999' }));
  return svg;
}

/** Horizontal bars: items [{label, value, text?}]. */
export function bars(items, { width = 560, row = 24, colour = '#0f766e', className = 'chart' } = {}) {
  const height = row * items.length + 10;
  const svg = el('svg', { viewBox: `0 0 ${width} ${Math.max(height, 30)}`, class: className, role: 'img' });
  const max = Math.max(1, ...items.map(i => i.value));
  items.forEach((item, i) => {
    const y = 5 + i * row;
    const w = (width - 260) * item.value / max;
    svg.append(el('text', { x: 150, y: y + row * 0.65, 'text-anchor': 'end', 'font-size': 12 }, item.label),
      el('rect', { x: 160, y: y + 3, width: Math.max(1, w), height: row - 8, fill: colour, class: 'bar' }),
      el('text', { x: 166 + w, y: y + row * 0.65, 'font-size': 11 }, item.text ?? String(item.value)));
  });
  return svg;
}
