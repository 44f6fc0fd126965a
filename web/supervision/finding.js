// One finding: what the rule found, its numbers and times, the track and places on the map (the offline base map,
// or a plain background), and the supervisor's decision (confirmed, explained, dismissed — with the reason).
import { pick } from '../js/i18n.js';
import { h, showError } from '../js/ui.js';
import { createMap } from '../console/map.js';
import { st, when } from './messages.js';

const COLOURS = { pickup: '#15803d', dropoff: '#b91c1c', station: '#7c3aed', car: '#dc2626', night: '#dc2626',
  usual_night: '#15803d', start: '#15803d', end: '#1e5aa8', stop: '#d97706' };

export async function renderFinding(body, ctx, id) {
  const f = await ctx.api.get(`/api/supervision/findings/${id}`);
  const ev = f.evidence ?? {};
  const mapBox = h('div', { class: 'sv-map', id: 'finding-map' });
  const facts = h('dl', {},
    h('dt', {}, st('rule')), h('dd', { class: `sv-sev ${f.severity}` }, pick(f.rule_name), ' · ', st(f.severity)),
    h('dt', {}, st('plate')), h('dd', {}, f.plate), h('dt', {}, st('unit')), h('dd', {}, f.unit_name),
    h('dt', {}, st('when')), h('dd', {}, `${when(f.starts_at)} – ${when(f.ends_at)}`),
    f.booking_id ? [h('dt', {}, st('booking')), h('dd', {}, `#${f.booking_id}`)] : null,
    f.trip_id ? [h('dt', {}, st('trip')), h('dd', {}, `#${f.trip_id}`)] : null,
    h('dt', {}, st('status')), h('dd', { class: `sv-status ${f.status}`, id: 'finding-status' }, pick(f.status_name)),
    f.decided_by ? [h('dt', {}, st('reason')), h('dd', {}, f.reason, h('br'), h('span', { class: 'muted' }, st('decided', { who: f.decided_by, at: when(f.decided_at) })))] : null);
  const numbers = Object.entries(ev.numbers ?? {});
  body.replaceChildren(
    h('p', {}, h('a', { href: '#/supervision/queue?status=open' }, `← ${st('back')}`)),
    h('h3', { class: 'sv-summary' }, pick(f.summary)),
    h('div', { class: 'sv-finding' },
      h('div', {}, facts,
        numbers.length ? [h('h4', {}, st('numbers')), h('dl', { class: 'sv-numbers' }, numbers.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v))]))] : null,
        ctx.me.permissions.includes('supervision.decide') ? decisionForm(ctx, f, body) : null),
      h('div', {}, h('h4', {}, st('map'), ' ', h('span', { class: 'muted', id: 'finding-points' }, st('points', { n: (ev.points ?? []).length }))), mapBox)));
  await drawEvidence(mapBox, ev);
}

function decisionForm(ctx, f, body) {
  const status = h('select', { name: 'status' }, ['confirmed', 'explained', 'dismissed', 'open']
    .filter(s => s !== f.status).map(s => h('option', { value: s }, st(s))));
  const reason = h('textarea', { name: 'reason', rows: 3, required: true, minlength: 2 });
  const error = h('p', { class: 'error', hidden: true });
  return h('form', { class: 'sv-decision', onsubmit: async (event) => {
    event.preventDefault();
    try {
      await ctx.api.post(`/api/supervision/findings/${f.id}/decision`, { status: status.value, reason: reason.value });
      await renderFinding(body, ctx, f.id);
    } catch (e) { error.hidden = false; error.textContent = e.message; }
  } }, h('h4', {}, st('decision')), status, h('label', {}, st('reason'), reason), h('button', { type: 'submit' }, st('save')), error);
}

async function drawEvidence(container, ev) {
  const points = (ev.points ?? []).map(p => [p[0], p[1]]);
  const places = (ev.places ?? []).filter(p => p && p.lat != null);
  const all = [...points, ...places.map(p => [p.lon, p.lat])];
  const centre = all.length ? all[Math.floor(all.length / 2)] : undefined;
  let map;
  try {
    ({ map } = await createMap(container, centre));
  } catch (error) { showError(container, error); return; }
  map.addSource('evidence-track', { type: 'geojson', data: points.length > 1
    ? { type: 'Feature', geometry: { type: 'LineString', coordinates: points }, properties: {} }
    : { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'evidence-track', type: 'line', source: 'evidence-track', paint: { 'line-color': '#1e5aa8', 'line-width': 3 } });
  map.addSource('evidence-places', { type: 'geojson', data: { type: 'FeatureCollection', features: places.map(p => ({
    type: 'Feature', geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
    properties: { role: p.role, label: `${st(`role_${p.role}`)} ${p.name ?? ''}`.trim(), colour: COLOURS[p.role] ?? '#333' } })) } });
  map.addLayer({ id: 'evidence-places', type: 'circle', source: 'evidence-places',
    paint: { 'circle-radius': 7, 'circle-color': ['get', 'colour'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  container.dataset.track = String(points.length);
  container.dataset.places = places.map(p => p.role).join(',');
  container.after(h('ul', { class: 'sv-legend' }, places.map(p => h('li', { dataset: { role: p.role } },
    h('span', { style: `color:${COLOURS[p.role] ?? '#333'}` }, '● '), `${st(`role_${p.role}`)} ${p.name ?? ''}`))));
  if (all.length) {
    const lons = all.map(c => c[0]); const lats = all.map(c => c[1]);
    map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { padding: 40, maxZoom: 16, duration: 0 });
  }
  container.dataset.ready = '1';
}
