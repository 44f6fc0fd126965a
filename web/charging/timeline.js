// The dispatcher's timeline of one site, as plain SVG: connectors × time with the sessions as bars over the
// tariff's bands, and below it the site's power slot by slot against its cap.
import { clock, dayClock, tt } from './messages.js';

const NS = 'http://www.w3.org/2000/svg';
const BAND_COLOURS = { valley: '#e6f4ea', flat: '#f5f5f5', peak: '#fde8e8', sharp: '#f9caca' };
const KIND_COLOURS = { ac: '#4f86c6', dc: '#e08a2c' };
const LEFT = 120;
const ROW = 26;
const CHART = 150;

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function minuteOfDay(ms, timeZone) {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false })
    .formatToParts(new Date(ms));
  const get = type => Number(parts.find(p => p.type === type).value);
  return (get('hour') % 24) * 60 + get('minute');
}

function bandAt(bands, minute) {
  const toMin = s => { const [hh, mm] = s.split(':').map(Number); return (hh % 24) * 60 + mm; };
  return bands.find(b => {
    const a = toMin(b.start), z = toMin(b.end);
    return a < z ? minute >= a && minute < z : minute >= a || minute < z;
  });
}

/** An <svg> of the timeline; ``data`` is GET /api/charging/sites/{id}/plan. */
export function timelineSvg(data, { width = 1100, now = Date.now() } = {}) {
  const plan = data.plan;
  const connectors = data.connectors;
  const height = 30 + connectors.length * ROW + 30 + CHART + 30;
  const svg = el('svg', { xmlns: NS, width, height, class: 'charging-timeline', role: 'img', 'aria-label': tt('connectors') });
  if (!plan) return svg;
  const t0 = Date.parse(plan.start), t1 = Date.parse(plan.end);
  const plotW = width - LEFT - 10;
  const x = ms => LEFT + plotW * (ms - t0) / (t1 - t0);
  const slotMs = plan.slot_minutes * 60_000;
  const top = 24, rowsH = connectors.length * ROW;
  // tariff bands behind everything, and hour ticks
  for (let ms = t0; ms < t1; ms += slotMs) {
    const band = bandAt(data.tariff.bands, minuteOfDay(ms, data.tariff.timezone));
    if (band) svg.append(el('rect', { x: x(ms), y: top, width: x(ms + slotMs) - x(ms) + 0.5, height: rowsH,
      fill: BAND_COLOURS[band.kind] ?? '#fff', 'data-band': band.kind }));
    if (minuteOfDay(ms, data.tariff.timezone) % 180 === 0) {
      svg.append(el('line', { x1: x(ms), x2: x(ms), y1: top, y2: top + rowsH, stroke: '#ddd' }));
      svg.append(el('text', { x: x(ms) + 2, y: top - 6, 'font-size': 10, fill: '#555' }, dayClock(new Date(ms).toISOString())));
    }
  }
  // one row per connector, the sessions as bars
  connectors.forEach((c, i) => {
    const y = top + i * ROW;
    svg.append(el('text', { x: 4, y: y + ROW * 0.65, 'font-size': 12 }, `${c.label || c.code} · ${c.kind.toUpperCase()} ${c.kw} kW`));
    svg.append(el('line', { x1: LEFT, x2: LEFT + plotW, y1: y + ROW, y2: y + ROW, stroke: '#eee' }));
    for (const s of plan.sessions.filter(s => s.connector_id === c.id)) {
      const a = x(Date.parse(s.start)), b = x(Date.parse(s.end));
      const bar = el('rect', { x: a, y: y + 3, width: Math.max(2, b - a), height: ROW - 6, rx: 3,
        fill: KIND_COLOURS[c.kind], 'data-session': s.vehicle_id, class: 'session' });
      bar.append(el('title', {}, `${s.plate} ${clock(s.start)}–${clock(s.end)} ${s.kwh.toFixed(1)} kWh ¥${s.cost.toFixed(2)}`));
      svg.append(bar);
      if (b - a > 60) svg.append(el('text', { x: a + 4, y: y + ROW * 0.65, 'font-size': 11, fill: '#fff' }, s.plate));
    }
  });
  // the power curve against the cap
  const chartTop = top + rowsH + 30;
  const peak = Math.max(data.site.cap_kw, ...plan.load_kw) * 1.1;
  const yk = kw => chartTop + CHART * (1 - kw / peak);
  svg.append(el('text', { x: 4, y: chartTop + 12, 'font-size': 12 }, tt('load')));
  for (let kw = 0; kw <= peak; kw += Math.max(10, Math.round(peak / 50) * 10)) {
    svg.append(el('text', { x: LEFT - 6, y: yk(kw) + 4, 'font-size': 10, 'text-anchor': 'end', fill: '#555' }, kw));
    svg.append(el('line', { x1: LEFT, x2: LEFT + plotW, y1: yk(kw), y2: yk(kw), stroke: '#f0f0f0' }));
  }
  const points = plan.load_kw.flatMap((kw, i) => [`${x(t0 + i * slotMs)},${yk(kw)}`, `${x(t0 + (i + 1) * slotMs)},${yk(kw)}`]);
  svg.append(el('polyline', { points: points.join(' '), fill: 'none', stroke: '#1f77b4', 'stroke-width': 1.5, class: 'load' }));
  svg.append(el('line', { x1: LEFT, x2: LEFT + plotW, y1: yk(data.site.cap_kw), y2: yk(data.site.cap_kw),
    stroke: '#c00', 'stroke-dasharray': '6,4', class: 'cap' }));
  svg.append(el('text', { x: LEFT + plotW - 4, y: yk(data.site.cap_kw) - 4, 'font-size': 11, 'text-anchor': 'end', fill: '#c00' },
    tt('cap', { kw: data.site.cap_kw })));
  if (now > t0 && now < t1) {
    svg.append(el('line', { x1: x(now), x2: x(now), y1: top, y2: chartTop + CHART, stroke: '#333', 'stroke-dasharray': '2,3' }));
  }
  return svg;
}
