// The vehicle cost pages (单车核算): the month's evaluation of every car in sight (cost, per km / trip /
// passenger-km, fuel or energy per 100 km, flags with their reasons) with the exports, and one car's month — the
// sheet by category (what is posted), who paid, the figures against the peers' medians, its settled trips with
// track replay. Routes: #/costs[?month=], #/costs/vehicle/<id>?month=.
import { formatYuan, pick } from '../js/i18n.js';
import { h, showError, table } from '../js/ui.js';
import { createMap } from '../console/map.js';
import { recentMonths, when } from '../supervision/messages.js';
import { ct } from './messages.js';

function route() {
  const [path, query] = location.hash.replace(/^#\/?costs\/?/, '').split('?');
  const params = new URLSearchParams(query ?? '');
  return { parts: path.split('/').filter(Boolean), month: params.get('month') ?? recentMonths(2)[1] };
}

const num = (v, digits = 2) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));

export async function render(view, ctx) {
  ensureStyles();
  const { parts, month } = route();
  const select = h('select', { name: 'month', onchange: e => { location.hash = `#/costs${parts.length ? `/${parts.join('/')}` : ''}?month=${e.target.value}`; } },
    recentMonths(12).map(m => h('option', { value: m, selected: m === month }, m)));
  const body = h('div');
  view.replaceChildren(h('h2', {}, ct('title')), h('div', { class: 'co-bar' }, h('label', {}, ct('month'), ' ', select),
    parts[0] === 'vehicle' ? h('a', { href: `#/costs?month=${month}` }, `← ${ct('all_cars')}`) : exportsLinks(month)), body);
  try {
    if (parts[0] === 'vehicle' && parts[1]) await renderVehicle(body, ctx, Number(parts[1]), month);
    else await renderFleet(body, ctx, month);
  } catch (error) { showError(body, error); }
}

function exportsLinks(month) {
  const link = (kind, fmt) => h('a', { href: '#', class: `co-export ${kind}-${fmt}`, onclick: (e) => { e.preventDefault(); download(kind, fmt, month); } }, ct(`${kind}_${fmt}`));
  return h('span', { class: 'co-exports' }, link('publicity', 'xlsx'), link('publicity', 'pdf'), link('evaluation', 'xlsx'), link('evaluation', 'pdf'));
}

async function download(kind, fmt, month) {
  const { tokens } = await import('../js/api.js');
  const response = await fetch(`/api/costs/exports/${kind}.${fmt}?month=${month}`, { headers: { Authorization: `Bearer ${tokens().access_token}` } });
  const blob = await response.blob();
  const a = h('a', { href: URL.createObjectURL(blob), download: `${kind}-${month}.${fmt}` });
  document.body.append(a); a.click(); a.remove();
}

async function renderFleet(body, ctx, month) {
  const rows = await ctx.api.get('/api/costs/evaluation', { month });
  body.replaceChildren(table([
    { label: ct('plate'), value: r => h('a', { href: `#/costs/vehicle/${r.vehicle_id}?month=${month}`, class: 'co-car' }, r.plate) },
    { label: ct('category'), value: r => r.category },
    { label: ct('km'), value: r => num(r.km, 1), num: true },
    { label: ct('trips'), value: r => String(r.trips), num: true },
    { label: ct('cash'), value: r => formatYuan(r.cash), num: true },
    { label: ct('total'), value: r => formatYuan(r.total), num: true },
    { label: ct('cash_per_km'), value: r => num(r.figures.cash_per_km), num: true },
    { label: ct('fuel_l_per_100km'), value: r => num(r.figures.fuel_l_per_100km ?? r.figures.kwh_per_100km, 1), num: true },
    { label: ct('flags'), value: r => r.flags.length ? h('ul', { class: 'co-flags' }, r.flags.map(f => h('li', {}, pick(f.reason)))) : h('span', { class: 'muted' }, ct('normal')) },
  ], rows, { rowAttrs: r => ({ dataset: { vehicle: r.vehicle_id, flagged: r.flags.length ? '1' : '0' } }) }));
}

async function renderVehicle(body, ctx, id, month) {
  const [car, trips] = await Promise.all([
    ctx.api.get(`/api/costs/vehicles/${id}`, { month }),
    ctx.api.get('/api/costs/trips', { month, vehicle_id: id }),
  ]);
  const replayBox = h('div', { class: 'co-replay', hidden: true });
  const canTrack = ctx.me.permissions.includes('telematics.live.read');
  const figures = Object.entries(car.figures);
  body.replaceChildren(
    h('h3', {}, `${car.plate} · ${car.make_model} · ${month}`, car.closed ? h('span', { class: 'muted' }, ` · ${ct('closed')}`) : null),
    car.flags.length ? h('ul', { class: 'co-flags' }, car.flags.map(f => h('li', {}, pick(f.reason)))) : null,
    h('div', { class: 'co-grid' },
      h('section', {}, h('h4', {}, ct('sheet')), table([
        { label: ct('category'), value: r => pick(r.name) },
        { label: ct('amount'), value: r => formatYuan(r.amount), num: true },
        { label: ct('posted'), value: r => (r.cash ? formatYuan(r.posted) : ct('non_cash')), num: true },
      ], car.sheet), h('p', {}, `${ct('cash')} ${formatYuan(car.cash)} · ${ct('total')} ${formatYuan(car.total)} · ${ct('quota')} ${formatYuan(car.quota_month)}`)),
      h('section', {}, h('h4', {}, ct('figures')), table([
        { label: '', value: ([k]) => ct(k) },
        { label: ct('this_car'), value: ([, v]) => num(v), num: true },
        { label: ct('peers'), value: ([k]) => (car.peers[k] ? `${num(car.peers[k].median)} (${car.peers[k].peers})` : '—'), num: true },
      ], figures), h('p', { class: 'muted' }, `${num(car.km, 1)} km · ${car.trips} ${ct('trips')} · ${num(car.passenger_km, 1)} ${ct('pkm')}`)),
      h('section', {}, h('h4', {}, ct('paid_by')), table([
        { label: ct('unit'), value: r => r.unit_name },
        { label: ct('how'), value: r => Object.entries(r.kinds).map(([k, v]) => `${ct(`kind_${k}`)} ${formatYuan(v)}`).join('，') },
      ], car.paid_by))),
    h('h4', {}, ct('trip_list')),
    table([
      { label: ct('when'), value: t => when(t.start) },
      { label: ct('purpose'), value: t => `${t.code} ${t.purpose}` },
      { label: ct('route'), value: t => `${t.pickup} → ${t.dropoff}` },
      { label: ct('km'), value: t => num(t.km, 1) + (t.shared_with.length ? ` (${ct('pooled')})` : ''), num: true },
      { label: ct('charged'), value: t => formatYuan(t.charged), num: true },
      { label: ct('status'), value: t => ct(`status_${t.status}`) },
      { label: '', value: t => canTrack ? h('button', { type: 'button', class: 'secondary co-replay-button', onclick: () => replay(replayBox, ctx, id, t) }, ct('replay')) : '' },
    ], trips, { rowAttrs: t => ({ dataset: { booking: t.booking_id } }) }),
    replayBox);
}

async function replay(box, ctx, vehicleId, trip) {
  box.hidden = false;
  const start = new Date(new Date(trip.start).getTime() - 30 * 60_000).toISOString();
  const end = new Date(new Date(trip.end).getTime() + 60 * 60_000).toISOString();
  const { points } = await ctx.api.get(`/api/telematics/vehicles/${vehicleId}/track`, { start, end });
  const mapBox = h('div', { class: 'co-map' });
  const slider = h('input', { type: 'range', min: 0, max: Math.max(0, points.length - 1), value: 0 });
  const info = h('span', { class: 'muted' }, `${points.length} ${ct('points')}`);
  box.replaceChildren(h('h4', {}, `${ct('replay')} · ${trip.code}`), mapBox, h('div', { class: 'co-controls' }, slider, info));
  const coords = points.map(p => [p[0], p[1]]);
  const { map } = await createMap(mapBox, coords[0]);
  map.addSource('track', { type: 'geojson', data: coords.length > 1 ? { type: 'Feature', geometry: { type: 'LineString', coordinates: coords }, properties: {} } : { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'track', type: 'line', source: 'track', paint: { 'line-color': '#1e5aa8', 'line-width': 3 } });
  map.addSource('car', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'car', type: 'circle', source: 'car', paint: { 'circle-radius': 7, 'circle-color': '#dc2626' } });
  const show = (i) => {
    const p = points[i]; if (!p) return;
    map.getSource('car').setData({ type: 'Feature', geometry: { type: 'Point', coordinates: [p[0], p[1]] }, properties: {} });
    info.textContent = `${when(p[2])} · ${p[3] ?? '—'} km/h`;
  };
  slider.addEventListener('input', () => show(Number(slider.value)));
  if (coords.length) {
    const lons = coords.map(c => c[0]); const lats = coords.map(c => c[1]);
    map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { padding: 30, maxZoom: 16, duration: 0 });
    show(0);
  }
}

function ensureStyles() {
  if (document.querySelector('style[data-costs]')) return;
  document.head.append(h('style', { dataset: { costs: '' } }, `
    .co-bar { display: flex; gap: 1rem; align-items: center; margin-bottom: .75rem; flex-wrap: wrap; }
    .co-exports { display: flex; gap: .75rem; }
    .co-flags { margin: 0; padding-left: 1rem; color: #b91c1c; }
    .co-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }
    .co-grid section { border: 1px solid #eee; padding: .5rem; background: #fff; }
    .co-map { height: 380px; border: 1px solid #ddd; }
    .co-controls { display: flex; gap: 1rem; align-items: center; } .co-controls input { flex: 1; }`));
}
