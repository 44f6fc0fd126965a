// The driver's page (mobile first): today's tasks in the order the car drives them, a map of the stops, the
// hand-off to the phone's navigation app, the step buttons (accept → at the pick-up → rider on board with the
// check-in code → dropped off → finished with the odometer), and refuel / charge / expense entries with a
// photo of the receipt (the phone's camera).
//   #/driver            today's tasks       #/driver/expenses   expenses
import { tokens } from '../js/api.js';
import { formatYuan } from '../js/i18n.js';
import { h, showError } from '../js/ui.js';
import { clock, named, tt } from './messages.js';

const REFRESH_MS = 20_000;
let current = null;

export async function render(view, ctx) {
  current?.close();
  ensureStyles();
  const sub = location.hash.replace(/^#\/?/, '').split('/')[1] ?? '';
  current = new DriverPage(view, ctx);
  await current.show(sub === 'expenses' ? 'expenses' : 'tasks');
}

window.addEventListener('hashchange', () => {
  if (current && !location.hash.startsWith('#/driver')) { current.close(); current = null; }
});

function ensureStyles() {
  if (document.querySelector('link[data-driver-css]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: '/static/driver/driver.css', dataset: { driverCss: '' } }));
  if (!document.querySelector('link[data-maplibre]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/maplibre-gl/maplibre-gl.css', dataset: { maplibre: '' } }));
  }
}

class DriverPage {
  constructor(view, ctx) {
    this.view = view;
    this.api = ctx.api;
    this.timer = null;
    this.map = null;
  }

  close() { clearInterval(this.timer); this.map?.remove(); this.map = null; }

  async show(tab) {
    const tabs = h('nav', { class: 'driver-tabs' },
      [['tasks', tt('drv.tasks'), '#/driver'], ['expenses', tt('drv.expenses'), '#/driver/expenses']].map(([id, label, href]) =>
        h('a', { href, class: id === tab ? 'active' : undefined, dataset: { tab: id } }, label)));
    this.head = h('div', { class: 'driver-head' });
    this.errorEl = h('div');
    this.body = h('div', { class: 'driver-body' });
    this.view.replaceChildren(h('div', { class: 'driver-page' }, this.head, tabs, this.errorEl, this.body));
    try {
      this.day = await this.api.get('/api/driver/tasks');
    } catch (error) {
      if (error.code === 'dispatch.not_a_driver') { this.body.replaceChildren(h('p', { class: 'muted' }, tt('drv.not_driver'))); return; }
      throw error;
    }
    this.drawHead();
    if (tab === 'expenses') return this.expenses();
    this.drawTasks();
    await this.drawMap();
    this.timer = setInterval(() => this.refresh().catch(() => {}), REFRESH_MS);
  }

  drawHead() {
    const car = this.day.car;
    this.head.replaceChildren(h('strong', {}, this.day.driver.name), car ? h('span', { class: 'muted' }, ` · ${tt('drv.car', { plate: car.plate })}`) : null);
  }

  async refresh() {
    if (this.view.querySelector('.driver-body input:focus')) return;  // not while the driver types
    this.day = await this.api.get('/api/driver/tasks');
    this.drawHead();
    this.drawTasks();
  }

  // ---------------------------------------------------------------- tasks

  drawTasks() {
    const tasks = this.day.tasks;
    if (!this.mapEl) this.mapEl = h('div', { class: 'driver-map', id: 'driver-map' });
    const stops = this.day.route.length
      ? h('ol', { class: 'driver-stops' }, this.day.route.map(s => {
        const task = tasks.find(t => t.id === s.booking_id);
        return h('li', { class: s.kind }, clock(s.start_at), ' ', s.kind === 'pickup' ? '↑ ' : '↓ ',
          task ? (s.kind === 'pickup' ? task.pickup.address : task.dropoff.address) : '');
      }))
      : null;
    const list = tasks.length
      ? h('ul', { class: 'task-list', id: 'driver-tasks' }, tasks.map(task => this.card(task)))
      : h('p', { class: 'muted', id: 'driver-tasks' }, tt('drv.none'));
    this.body.replaceChildren(this.mapEl, stops ? h('details', { class: 'driver-route' }, h('summary', {}, tt('drv.stops')), stops) : null, list);
  }

  card(task) {
    const done = task.status === 'completed';
    const facts = [
      h('div', { class: 'task-route' }, h('span', { class: 'dot pickup' }), ' ', task.pickup.address, ' → ', h('span', { class: 'dot dropoff' }), ' ', task.dropoff.address),
      h('div', { class: 'muted small' }, tt('drv.planned', { a: clock(task.planned_pickup_at), b: clock(task.planned_dropoff_at) }),
        ' · ', tt('drv.passengers', { n: task.passengers }), task.may_pool ? ` · ${tt('drv.pooled')}` : ''),
      task.passenger_names.length || task.requester_name ? h('div', { class: 'small' }, (task.passenger_names.length ? task.passenger_names : [task.requester_name]).join('、')) : null,
      task.note ? h('div', { class: 'small note' }, task.note) : null,
    ];
    const nav = done ? null : h('div', { class: 'task-nav' },
      ...this.navLinks(task.step === 'boarded' || task.step === 'dropped' ? task.dropoff : task.pickup,
        task.step === 'boarded' || task.step === 'dropped' ? tt('drv.nav_dropoff') : tt('drv.nav_pickup')),
      task.contact_phone ? h('a', { class: 'button secondary', href: `tel:${task.contact_phone}` }, tt('drv.call')) : null);
    const record = done ? h('div', { class: 'small ok' }, tt('drv.done'),
      task.record.actual_km !== null ? ` · ${tt('drv.km', { km: task.record.actual_km })}` : '',
      task.record.trip_id ? ` · ${tt('drv.trip', { id: task.record.trip_id })}` : '') : null;
    return h('li', { class: `task-card card ${done ? 'done' : ''}`, dataset: { bookingId: task.id, step: task.step, status: task.status } },
      h('div', { class: 'task-head' }, h('strong', {}, task.code), h('span', { class: 'tag step' }, named(task.step_name))),
      h('div', { class: 'task-purpose' }, task.purpose), ...facts, nav, record,
      task.next ? this.stepForm(task) : null);
  }

  navLinks(place, label) {
    return [
      h('a', { class: 'button', href: place.navigation.geo, dataset: { nav: 'geo' } }, label),
      h('a', { class: 'button secondary', href: place.navigation.amap, target: '_blank', rel: 'noopener', dataset: { nav: 'amap' } }, tt('drv.amap')),
    ];
  }

  stepForm(task) {
    const action = task.next;
    const fields = [];
    if (action === 'board') {
      fields.push(h('label', {}, h('span', {}, tt('drv.code')),
        h('input', { name: 'code', required: true, maxlength: 8, autocomplete: 'off', autocapitalize: 'characters',
          inputmode: 'text', placeholder: tt('drv.code_hint'), class: 'code-input' })));
    }
    if (action === 'finish' || action === 'board') {
      const odo = task.car_odometer_km ?? this.day.car?.odometer_km;
      fields.push(h('label', {}, h('span', {}, tt('drv.odometer')),
        h('input', { name: 'odometer', type: 'number', step: '0.1', min: 0, inputmode: 'decimal', required: action === 'finish',
          value: odo !== null && odo !== undefined ? Number(odo).toFixed(1) : '' })));
    }
    const button = h('button', { type: 'submit', class: 'wide', dataset: { action } }, tt(`drv.action.${action}`));
    const form = h('form', { class: 'step-form' }, ...fields, button);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      button.disabled = true;
      const data = new FormData(form);
      const body = {};
      if (data.get('code')) body.code = String(data.get('code')).trim();
      if (data.get('odometer')) body.odometer_km = Number(data.get('odometer'));
      try {
        await this.api.post(`/api/driver/tasks/${task.id}/${action}`, body);
        this.errorEl.replaceChildren();
        this.day = await this.api.get('/api/driver/tasks');
        this.drawHead();
        this.drawTasks();
      } catch (error) { button.disabled = false; showError(this.errorEl, error); }
    });
    return form;
  }

  async drawMap() {
    const stops = this.day.route;
    const tasks = this.day.tasks.filter(t => t.status !== 'completed');
    const points = stops.length ? stops.map(s => ({ kind: s.kind, lonlat: [s.lon, s.lat] }))
      : tasks.flatMap(t => [{ kind: 'pickup', lonlat: [t.pickup.lon, t.pickup.lat] }, { kind: 'dropoff', lonlat: [t.dropoff.lon, t.dropoff.lat] }]);
    if (!points.length) { this.mapEl.hidden = true; return; }
    try {
      const { createBaseMap } = await import('/static/map/basemap.js');
      const map = await createBaseMap(this.mapEl, {});
      this.map = map;
      map.addSource('driver-line', { type: 'geojson', data: { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: points.map(p => p.lonlat) } } });
      map.addLayer({ id: 'driver-line', type: 'line', source: 'driver-line', paint: { 'line-color': '#1e5aa8', 'line-width': 3, 'line-dasharray': [2, 1] } });
      map.addSource('driver-stops', { type: 'geojson', data: { type: 'FeatureCollection', features: points.map((p, i) => ({
        type: 'Feature', properties: { kind: p.kind, n: String(i + 1) }, geometry: { type: 'Point', coordinates: p.lonlat } })) } });
      map.addLayer({ id: 'driver-stops', type: 'circle', source: 'driver-stops', paint: {
        'circle-radius': 8, 'circle-color': ['match', ['get', 'kind'], 'pickup', '#15803d', '#b91c1c'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
      const lons = points.map(p => p.lonlat[0]); const lats = points.map(p => p.lonlat[1]);
      map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { padding: 40, maxZoom: 16, duration: 0 });
      new ResizeObserver(() => map.resize()).observe(this.mapEl);
    } catch {
      this.mapEl.hidden = true;
    }
  }

  // ---------------------------------------------------------------- expenses

  async expenses() {
    const kinds = this.day.expense_kinds;
    const kind = h('select', { name: 'kind' }, Object.entries(kinds).map(([k, names]) => h('option', { value: k }, named(names))));
    const litres = h('label', { class: 'only-fuel' }, h('span', {}, tt('exp.litres')), h('input', { name: 'litres', type: 'number', step: '0.01', min: 0, inputmode: 'decimal' }));
    const kwh = h('label', { class: 'only-charge', hidden: true }, h('span', {}, tt('exp.kwh')), h('input', { name: 'kwh', type: 'number', step: '0.01', min: 0, inputmode: 'decimal' }));
    kind.addEventListener('change', () => { litres.hidden = kind.value !== 'fuel'; kwh.hidden = kind.value !== 'charge'; });
    const car = this.day.car;
    const saved = h('p', { class: 'notice', hidden: true, role: 'status' });
    const form = h('form', { class: 'expense-form card', id: 'expense-form' },
      h('label', {}, h('span', {}, tt('exp.kind')), kind),
      h('label', {}, h('span', {}, tt('exp.amount')), h('input', { name: 'amount', type: 'number', step: '0.01', min: 0.01, required: true, inputmode: 'decimal' })),
      litres, kwh,
      h('label', {}, h('span', {}, tt('exp.odometer')), h('input', { name: 'odometer_km', type: 'number', step: '0.1', min: 0, inputmode: 'decimal',
        value: car ? Number(car.odometer_km).toFixed(1) : '' })),
      h('label', {}, h('span', {}, tt('exp.place')), h('input', { name: 'place', maxlength: 200 })),
      h('label', {}, h('span', {}, tt('exp.note')), h('input', { name: 'note', maxlength: 255 })),
      h('label', {}, h('span', {}, tt('exp.photo')), h('input', { name: 'receipt', type: 'file', accept: 'image/*', capture: 'environment', required: true })),
      car ? h('input', { type: 'hidden', name: 'vehicle_id', value: car.vehicle_id }) : null,
      h('button', { type: 'submit', class: 'wide' }, tt('exp.submit')));
    const list = h('ul', { class: 'expense-list' });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      for (const [key, value] of [...data.entries()]) if (value === '' || (value instanceof File && !value.size && key !== 'receipt')) data.delete(key);
      if (kind.value !== 'fuel') data.delete('litres');
      if (kind.value !== 'charge') data.delete('kwh');
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        const row = await postForm('/api/driver/expenses', data);
        saved.textContent = tt('exp.saved', { amount: formatYuan(row.amount) });
        saved.hidden = false;
        form.reset();
        this.errorEl.replaceChildren();
        await this.loadExpenses(list);
      } catch (error) { showError(this.errorEl, error); }
      button.disabled = false;
    });
    this.body.replaceChildren(saved, form, h('h3', {}, tt('exp.recent')), list);
    await this.loadExpenses(list);
  }

  async loadExpenses(list) {
    const rows = await this.api.get('/api/driver/expenses');
    const kinds = this.day.expense_kinds;
    list.replaceChildren(...(rows.length ? rows.slice(0, 20).map(r => h('li', { class: 'card', dataset: { expenseId: r.id } },
      h('strong', {}, named(kinds[r.kind], r.kind)), ` ¥${formatYuan(r.amount)}`,
      r.litres ? ` · ${r.litres} L` : '', r.kwh ? ` · ${r.kwh} kWh` : '',
      h('div', { class: 'muted small' }, `${new Date(r.at).toLocaleString()} · ${r.plate ?? ''} ${r.place ?? ''}`))) : [h('li', { class: 'muted' }, tt('exp.none'))]));
  }
}

/** POST multipart form data with the login's token (api.js speaks JSON only). */
async function postForm(path, data) {
  const headers = { Accept: 'application/json' };
  const pair = tokens();
  if (pair) headers.Authorization = `Bearer ${pair.access_token}`;
  const response = await fetch(path, { method: 'POST', headers, body: data });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(body?.error?.message ?? `HTTP ${response.status}`);
    error.code = body?.error?.code;
    throw error;
  }
  return body;
}
