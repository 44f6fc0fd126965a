// The plan's timeline as SVG: one row per car (plate and driver), one bar per booking from its pick-up to its
// drop-off (pooled rides side by side in lanes), pick-ups and drop-offs as ticks, a time axis of local hours.
import { clock, colour } from './messages.js';

const NS = 'http://www.w3.org/2000/svg';
const LABEL = 150;
const LANE = 16;
const PAD = 8;

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function lanesOf(route) {
  const rides = new Map();
  for (const stop of route.stops) {
    const ride = rides.get(stop.booking_id) ?? { id: stop.booking_id, code: stop.code, start: null, end: null, locked: stop.locked, change: stop.change };
    if (stop.kind === 'pickup') ride.start = Date.parse(stop.start_at);
    else ride.end = Date.parse(stop.start_at);
    rides.set(stop.booking_id, ride);
  }
  const lanes = [];
  for (const ride of [...rides.values()].sort((a, b) => (a.start ?? a.end) - (b.start ?? b.end))) {
    ride.start ??= Date.parse(route.depart_at);
    let lane = lanes.findIndex(end => end <= ride.start);
    if (lane < 0) { lane = lanes.length; lanes.push(0); }
    lanes[lane] = ride.end;
    ride.lane = lane;
  }
  return { rides: [...rides.values()], count: Math.max(1, lanes.length) };
}

/** The timeline of `plan` as an <svg> element, `width` pixels wide. */
export function timelineSvg(plan, width = 900) {
  const rows = plan.routes.map(route => ({ route, ...lanesOf(route) }));
  const times = plan.routes.flatMap(r => [Date.parse(r.depart_at), Date.parse(r.finish_at)]);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 30 * 60_000);
  const span = t1 - t0;
  const x = t => LABEL + ((t - t0) / span) * (width - LABEL - PAD);
  let height = 24;
  for (const row of rows) { row.y = height; height += row.count * LANE + PAD * 2; }
  const svg = el('svg', { width: '100%', viewBox: `0 0 ${width} ${height + 4}`, class: 'plan-timeline', role: 'img',
    style: `min-width:${Math.round(width * 0.7)}px;display:block` });
  const hour = 3_600_000;
  const step = span > 8 * hour ? 2 * hour : span > 3 * hour ? hour : span > hour ? 30 * 60_000 : 15 * 60_000;
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    svg.append(el('line', { x1: x(t), x2: x(t), y1: 18, y2: height, stroke: '#e2e8f0' }));
    svg.append(el('text', { x: x(t), y: 12, 'text-anchor': 'middle', 'font-size': 11, fill: '#64748b' }, clock(new Date(t).toISOString())));
  }
  const now = Date.now();
  if (now > t0 && now < t1) svg.append(el('line', { x1: x(now), x2: x(now), y1: 16, y2: height, stroke: '#b4232a', 'stroke-dasharray': '3 3' }));
  for (const row of rows) {
    const { route } = row;
    const g = el('g', { 'data-vehicle-id': route.vehicle_id, class: 'timeline-row' });
    g.append(el('text', { x: 4, y: row.y + 14, 'font-size': 12, 'font-weight': 600 }, route.plate));
    g.append(el('text', { x: 4, y: row.y + 28, 'font-size': 11, fill: '#64748b' }, route.driver_name));
    g.append(el('line', { x1: x(Date.parse(route.depart_at)), x2: x(Date.parse(route.finish_at)), y1: row.y + PAD,
      y2: row.y + PAD, stroke: colour(route.vehicle_id), 'stroke-width': 2, 'stroke-opacity': 0.4 }));
    for (const ride of row.rides) {
      const y = row.y + PAD + 4 + ride.lane * LANE;
      const x0 = x(ride.start);
      const w = Math.max(4, x(ride.end) - x0);
      const bar = el('g', { class: 'timeline-ride', 'data-booking-id': ride.id });
      bar.append(el('rect', { x: x0, y, width: w, height: LANE - 4, rx: 3, fill: colour(route.vehicle_id),
        'fill-opacity': ride.change === 'same' || ride.change === 'aboard' ? 0.55 : 0.9,
        stroke: ride.locked ? '#111' : 'none', 'stroke-width': ride.locked ? 1.5 : 0 }));
      if (w > 46) bar.append(el('text', { x: x0 + 3, y: y + 10, 'font-size': 10, fill: '#fff' }, ride.code.slice(-4)));
      bar.append(el('title', {}, `${ride.code} ${clock(new Date(ride.start).toISOString())}–${clock(new Date(ride.end).toISOString())}`));
      g.append(bar);
    }
    svg.append(g);
  }
  return svg;
}
