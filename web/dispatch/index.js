// The dispatcher's plan page: the optimizer's proposal (or the plan in force) with each car's route on the
// offline map and a timeline per car, the bookings left without a car and why, what accepting changes; run the
// optimizer, accept the proposal, or dispatch by hand (pin a booking to a car, keep it unassigned).
//   #/dispatch            the proposal if one waits, else the plan in force
//   #/dispatch/in-force   the plan in force
import { h, showError } from '../js/ui.js';
import { clock, colour, named, tt } from './messages.js';
import { timelineSvg } from './timeline.js';

let current = null;

export async function render(view, ctx) {
  current?.close();
  ensureStyles();
  current = new PlanPage(view, ctx);
  await current.load();
}

window.addEventListener('hashchange', () => {
  if (current && !location.hash.startsWith('#/dispatch')) { current.close(); current = null; }
});

function ensureStyles() {
  if (document.querySelector('link[data-dispatch-css]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: '/static/dispatch/dispatch.css', dataset: { dispatchCss: '' } }));
}

function ensureMapCss() {
  if (document.querySelector('link[data-maplibre]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/maplibre-gl/maplibre-gl.css', dataset: { maplibre: '' } }));
}

class PlanPage {
  constructor(view, ctx) {
    this.view = view;
    this.api = ctx.api;
    this.canManage = ctx.me.permissions.includes('dispatch.plan.manage');
    this.map = null;
    this.showInForce = location.hash.includes('in-force');
    this.timer = setInterval(() => this.load(true).catch(() => {}), 30_000);
  }

  close() { clearInterval(this.timer); this.map?.remove(); this.map = null; }

  async load(quiet = false) {
    const data = await this.api.get('/api/dispatch/plans');
    this.data = data;
    const plan = (!this.showInForce && data.proposal) || data.in_force || data.proposal;
    if (quiet && plan?.id === this.plan?.id && plan?.status === this.plan?.status) return;
    this.plan = plan;
    this.draw();
  }

  draw() {
    const plan = this.plan;
    this.notice = h('p', { class: 'notice', hidden: true, role: 'status' });
    this.errorEl = h('div');
    const run = this.canManage ? h('button', { type: 'button', id: 'dispatch-run', onclick: () => this.run() }, tt('plan.run')) : null;
    const accept = this.canManage && plan?.status === 'proposed'
      ? h('button', { type: 'button', id: 'dispatch-accept', onclick: () => this.accept() }, tt('plan.accept')) : null;
    const other = this.data.proposal && this.data.in_force
      ? h('a', { href: this.showInForce ? '#/dispatch' : '#/dispatch/in-force', class: 'plan-switch' },
        this.showInForce ? tt('plan.view_proposal') : tt('plan.view_in_force'))
      : null;
    const head = h('div', { class: 'plan-head' }, h('h2', {}, tt('plan.title')), run, accept, other);
    if (!plan) {
      this.view.replaceChildren(h('div', { class: 'plan-page' }, head, this.notice, this.errorEl, h('p', { class: 'muted' }, tt('plan.none'))));
      this.view.dataset.ready = 'true';
      return;
    }
    const c = plan.changes;
    const summary = h('div', { class: 'plan-summary', dataset: { planId: plan.id, status: plan.status } },
      h('span', { class: `tag ${plan.status === 'accepted' ? 'ok' : 'warn'}` }, named(plan.status_name)), ' ',
      tt('plan.made', { at: clock(plan.created_at, true), trigger: tt(`plan.trigger.${plan.trigger}`) }), ' · ',
      tt('plan.summary', { cars: plan.routes.length, served: plan.served, unserved: plan.unserved_count, km: plan.distance_km.toFixed(1) }),
      plan.verified ? h('span', { class: 'muted' }, ` · ✓ ${tt('plan.verified')}`) : null,
      plan.status === 'proposed' ? h('div', { class: 'plan-changes' }, tt('plan.changes', {
        assign: c.assign.length, reassign: c.reassign.length, unassign: c.unassign.length, keep: c.keep.length })) : null);
    this.mapEl = h('div', { class: 'plan-map', id: 'plan-map' });
    const timeline = plan.routes.length ? h('div', { class: 'plan-timeline-wrap' }, timelineSvg(plan, 820)) : null;
    this.view.replaceChildren(h('div', { class: 'plan-page' },
      head, this.notice, this.errorEl, summary,
      h('div', { class: 'plan-grid' },
        h('section', { class: 'plan-main' }, this.mapEl, h('h3', {}, tt('plan.timeline')), timeline),
        h('aside', { class: 'plan-side' },
          h('h3', {}, tt('plan.cars')), this.routesList(plan),
          h('h3', {}, tt('plan.unserved')), this.unservedList(plan),
          h('h3', {}, tt('plan.overrides')), this.overridesList()))));
    this.drawMap(plan).catch(() => { this.mapEl.hidden = true; });
    this.view.dataset.ready = 'true';
  }

  booking(id) { return this.plan.bookings.find(b => b.id === id); }

  routesList(plan) {
    return h('ul', { class: 'plan-routes' }, plan.routes.map(route => h('li', { class: 'dispatch-route card', dataset: { vehicleId: route.vehicle_id } },
      h('div', { class: 'route-head' },
        h('span', { class: 'swatch', style: `background:${colour(route.vehicle_id)}` }),
        h('strong', {}, route.plate), ' ', h('span', {}, route.driver_name),
        h('span', { class: 'muted small' }, ` · ${route.distance_km.toFixed(1)} km · ${route.start_source === 'live' ? tt('plan.from_live') : tt('plan.from_depot')}`),
        route.readiness !== null ? h('span', { class: 'muted small' }, ` · ${tt('plan.readiness', { pct: Math.round(route.readiness * 100) })}`) : null),
      h('ol', { class: 'route-stops' }, route.stops.map(stop => this.stopItem(stop))))));
  }

  stopItem(stop) {
    const b = this.booking(stop.booking_id);
    const change = tt(`plan.change.${stop.change}`);
    const pin = this.canManage && stop.kind === 'pickup' && stop.change !== 'aboard' && this.plan.status === 'proposed'
      ? h('button', { type: 'button', class: 'link small', onclick: (e) => this.pinForm(e.target.closest('li'), stop.booking_id) }, tt('plan.pin')) : null;
    return h('li', { class: `dispatch-stop ${stop.kind}`, dataset: { bookingId: stop.booking_id, kind: stop.kind } },
      h('span', { class: 'stop-time' }, clock(stop.start_at)), ' ',
      h('span', { class: `stop-kind ${stop.kind}` }, tt(`plan.${stop.kind}`)), ' ',
      h('strong', {}, stop.code.slice(-8)), ' ', h('span', { class: 'muted' }, stop.address),
      stop.kind === 'pickup' && b ? h('span', { class: 'muted small' }, ` · ${tt('plan.pax', { n: b.passengers })}`) : null,
      change ? h('span', { class: `tag ${stop.change === 'moved' ? 'warn' : 'ok'} small` }, change) : null,
      stop.locked ? h('span', { class: 'tag small' }, tt('plan.locked')) : null, pin);
  }

  unservedList(plan) {
    if (!plan.unserved.length) return h('p', { class: 'muted' }, tt('plan.all_served'));
    return h('ul', { class: 'plan-unserved' }, plan.unserved.map(u => {
      const b = this.booking(u.booking_id);
      const pin = this.canManage ? h('button', { type: 'button', class: 'link small', onclick: (e) => this.pinForm(e.target.closest('li'), u.booking_id) }, tt('plan.pin')) : null;
      return h('li', { class: 'unserved-item', dataset: { bookingId: u.booking_id, reason: u.reason } },
        h('strong', {}, u.code), ' ', b ? h('span', {}, `${clock(b.earliest_pickup, true)} ${b.pickup_address} → ${b.dropoff_address}`) : null,
        h('div', { class: 'reason' }, named(u.reason_name), u.previous_plate ? ` · ${tt('plan.was', { plate: u.previous_plate })}` : ''), pin);
    }));
  }

  overridesList() {
    const list = this.data.overrides;
    if (!list.length) return h('p', { class: 'muted' }, tt('plan.no_overrides'));
    return h('ul', { class: 'plan-overrides' }, list.map(o => h('li', { dataset: { overrideId: o.id, bookingId: o.booking_id } },
      h('strong', {}, o.code), ' → ', o.kind === 'hold' ? tt('plan.hold') : `${o.plate}${o.driver_name ? ` · ${o.driver_name}` : ''}`,
      o.note ? h('span', { class: 'muted' }, ` (${o.note})`) : null,
      this.canManage ? h('button', { type: 'button', class: 'link small', onclick: () => this.removeOverride(o.id) }, tt('plan.remove')) : null)));
  }

  async pinForm(li, bookingId) {
    if (li.querySelector('.pin-form')) return;
    const options = await this.api.get(`/api/dispatch/options/${bookingId}`);
    const car = h('select', { name: 'vehicle_id' }, h('option', { value: '' }, tt('plan.pick_car')),
      h('option', { value: 'hold' }, tt('plan.hold')),
      options.cars.filter(c => c.fits).map(c => h('option', { value: c.vehicle_id }, `${c.plate} · ${c.seats}座`)));
    const driver = h('select', { name: 'driver_id' }, h('option', { value: '' }, tt('plan.pick_driver')),
      options.drivers.map(d => h('option', { value: d.driver_id }, d.name)));
    const note = h('input', { name: 'note', placeholder: tt('plan.note'), maxlength: 255 });
    const save = h('button', { type: 'submit' }, tt('plan.save_pin'));
    const form = h('form', { class: 'pin-form' }, car, driver, note, save);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!car.value) return;
      save.disabled = true;
      const body = car.value === 'hold' ? { booking_id: bookingId, kind: 'hold', note: note.value || null }
        : { booking_id: bookingId, kind: 'pin', vehicle_id: Number(car.value), driver_id: driver.value ? Number(driver.value) : null, note: note.value || null };
      try {
        await this.api.post('/api/dispatch/overrides', body);
        this.showInForce = false;
        this.plan = null;
        await this.load();
      } catch (error) { save.disabled = false; showError(this.errorEl, error); }
    });
    li.append(form);
  }

  async removeOverride(id) {
    try { await this.api.request('DELETE', `/api/dispatch/overrides/${id}`); await this.load(); this.draw(); } catch (error) { showError(this.errorEl, error); }
  }

  async run() {
    const button = this.view.querySelector('#dispatch-run');
    button.disabled = true; button.textContent = tt('plan.running');
    try {
      const result = await this.api.post('/api/dispatch/plans/run');
      this.showInForce = false;
      this.plan = null;
      await this.load();
      if (result.unchanged) this.say(tt('plan.unchanged'));
    } catch (error) { showError(this.errorEl, error); button.disabled = false; button.textContent = tt('plan.run'); }
  }

  async accept() {
    const button = this.view.querySelector('#dispatch-accept');
    button.disabled = true; button.textContent = tt('plan.accepting');
    try {
      await this.api.post(`/api/dispatch/plans/${this.plan.id}/accept`);
      this.showInForce = true;
      this.plan = null;
      await this.load();
      this.say(tt('plan.accepted'));
    } catch (error) { showError(this.errorEl, error); button.disabled = false; button.textContent = tt('plan.accept'); }
  }

  say(text) { this.notice.textContent = text; this.notice.hidden = false; }

  async drawMap(plan) {
    ensureMapCss();
    this.map?.remove();
    const { createBaseMap } = await import('/static/map/basemap.js');
    const map = await createBaseMap(this.mapEl, {});
    this.map = map;
    const geometry = await this.api.get(`/api/dispatch/plans/${plan.id}/geometry`);
    for (const f of geometry.features) f.properties.colour = colour(f.properties.vehicle_id);
    const stops = plan.routes.flatMap(r => r.stops.map(s => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
      properties: { kind: s.kind, colour: colour(r.vehicle_id), label: `${clock(s.start_at)} ${s.code.slice(-4)}` } })));
    const starts = plan.routes.map(r => ({ type: 'Feature', geometry: { type: 'Point', coordinates: r.start }, properties: { colour: colour(r.vehicle_id), label: r.plate } }));
    map.addSource('plan-routes', { type: 'geojson', data: geometry });
    map.addLayer({ id: 'plan-routes', type: 'line', source: 'plan-routes', paint: { 'line-color': ['get', 'colour'], 'line-width': 4, 'line-opacity': 0.75 } });
    map.addSource('plan-stops', { type: 'geojson', data: { type: 'FeatureCollection', features: stops } });
    map.addLayer({ id: 'plan-stops', type: 'circle', source: 'plan-stops', paint: {
      'circle-radius': 6, 'circle-color': ['match', ['get', 'kind'], 'pickup', '#15803d', '#b91c1c'],
      'circle-stroke-color': ['get', 'colour'], 'circle-stroke-width': 2 } });
    map.addSource('plan-starts', { type: 'geojson', data: { type: 'FeatureCollection', features: starts } });
    map.addLayer({ id: 'plan-starts', type: 'circle', source: 'plan-starts', paint: {
      'circle-radius': 8, 'circle-color': ['get', 'colour'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
    const all = [...stops, ...starts].map(f => f.geometry.coordinates);
    if (all.length) {
      const lons = all.map(p => p[0]); const lats = all.map(p => p[1]);
      map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { padding: 50, maxZoom: 16, duration: 0 });
    }
    new ResizeObserver(() => map.resize()).observe(this.mapEl);
  }
}
