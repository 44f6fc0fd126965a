// The dispatcher's live map console: every car in sight moving live, coloured by state, a list to search by
// plate, a car's detail, track replay with its trips, and the alarm feed with acknowledgement.
import { getLocale, t } from '../js/i18n.js';
import { h } from '../js/ui.js';
import { LiveFeed } from './feed.js';
import { addLayers, CarsLayer, createMap, STATE_COLOURS } from './map.js';
import { Replay } from './replay.js';

const OFFLINE_AFTER_MS = 300_000;
const MOVING_KMH = 3;
let running = null;

export async function render(view, ctx) {
  running?.close();
  await ensureStyles();
  running = new LiveConsole(view, ctx);
  await running.start();
}

window.addEventListener('hashchange', () => {
  if (running && !location.hash.startsWith('#/console')) { running.close(); running = null; }
});

function ensureStyles() {
  if (document.querySelector('link[data-console-css]')) return Promise.resolve();
  const link = h('link', { rel: 'stylesheet', href: '/static/console/console.css', dataset: { consoleCss: '' } });
  const loaded = new Promise(resolve => { link.onload = resolve; link.onerror = resolve; });
  document.head.append(link);
  return loaded;
}

function when(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(getLocale() === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
}

function num(value, digits = 0) {
  return value === null || value === undefined ? '—' : Number(value).toFixed(digits);
}

class LiveConsole {
  constructor(view, ctx) {
    this.view = view;
    this.api = ctx.api;
    this.cars = new Map();
    this.rows = new Map();
    this.alarms = new Map();
    this.selected = null;
    this.query = '';
    this.listTimer = null;
    this.dirtyRows = new Set();
  }

  // ---------------------------------------------------------------- life cycle

  async start() {
    this.layout();
    const snapshot = await this.api.get('/api/telematics/live');
    this.ingest(snapshot, true);
    const first = snapshot.find(c => c.lat !== null);
    const { map, maplibregl, base } = await createMap(this.mapEl, first ? [first.lon, first.lat] : undefined);
    this.map = map;
    this.maplibregl = maplibregl;
    this.mapEl.dataset.base = base;
    map.resize();
    new ResizeObserver(() => map.resize()).observe(this.mapEl);
    addLayers(map);
    this.layer = new CarsLayer(map, () => this.features());
    this.layer.schedule();
    import('../dispatch/layer.js').then(m => m.attach(this)).catch(() => {});  // the plan in force (dispatch)
    map.on('click', 'cars', (e) => this.select(e.features[0].properties.vehicle_id, false));
    map.on('mouseenter', 'cars', () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', 'cars', () => { map.getCanvas().style.cursor = ''; });
    this.replay = new Replay(map, this.api, this.detailEl);
    await this.loadAlarms();
    this.feed = new LiveFeed({
      onSnapshot: (cars) => this.ingest(cars, true),
      onPositions: (items) => this.ingest(items, false),
      onAlarm: (alarm, event) => this.alarm(alarm, event),
      onStatus: (status) => { this.statusEl.dataset.status = status; this.statusEl.textContent = t(`console.link.${status}`); },
    });
    await this.feed.open();
    this.tick = setInterval(() => { for (const id of this.cars.keys()) this.dirtyRows.add(id); this.refresh(); }, 10_000);
    window.gongwuConsole = this;
    this.view.dataset.ready = 'true';
  }

  close() {
    this.feed?.close();
    this.layer?.stop();
    clearInterval(this.tick);
    this.replay?.stop();
    this.map?.remove();
    if (window.gongwuConsole === this) delete window.gongwuConsole;
  }

  layout() {
    this.search = h('input', { type: 'search', placeholder: t('console.search'), class: 'console-search',
      oninput: () => { this.query = this.search.value.trim().toUpperCase(); this.filterList(); } });
    this.countsEl = h('div', { class: 'console-legend' });
    this.listEl = h('ul', { class: 'console-cars' });
    this.mapEl = h('div', { class: 'console-map', id: 'console-map' });
    this.detailEl = h('div', { class: 'console-detail card', hidden: true });
    this.alarmsEl = h('ul', { class: 'console-alarms' });
    this.statusEl = h('span', { class: 'console-link' });
    this.view.classList.add('console-view');
    this.view.replaceChildren(h('div', { class: 'console' },
      h('aside', { class: 'console-side' }, h('div', { class: 'console-head' }, h('h2', {}, t('console.title')), this.statusEl),
        this.search, this.countsEl, this.listEl),
      h('section', { class: 'console-main' }, this.mapEl, this.detailEl),
      h('aside', { class: 'console-feed' }, h('h3', {}, t('console.alarms')), this.alarmsEl)));
  }

  // ---------------------------------------------------------------- cars

  ingest(items, replace) {
    for (const item of items) {
      const old = this.cars.get(item.vehicle_id);
      const car = replace || !old ? { ...item } : { ...old, ...item, plate: item.plate ?? old.plate };
      car.ts = car.time ? Date.parse(car.time) : 0;
      this.cars.set(item.vehicle_id, car);
      this.dirtyRows.add(item.vehicle_id);
    }
    this.refresh();
  }

  stateOf(car) {
    if (this.alarmedVehicles().has(car.vehicle_id)) return 'alarm';
    if (!car.ts || Date.now() - car.ts > OFFLINE_AFTER_MS) return 'offline';
    if (car.state === 'moving' || car.state === 'idle' || car.state === 'off') return car.state;
    if ((car.speed_kmh ?? 0) >= MOVING_KMH) return 'moving';
    return car.ignition ? 'idle' : 'off';
  }

  alarmedVehicles() {
    if (!this._alarmed) {
      this._alarmed = new Set([...this.alarms.values()].filter(a => a.status === 'open').map(a => a.vehicle_id));
    }
    return this._alarmed;
  }

  features() {
    const out = [];
    for (const car of this.cars.values()) {
      if (car.lat === null || car.lat === undefined) continue;
      out.push({ type: 'Feature', id: car.vehicle_id, geometry: { type: 'Point', coordinates: [car.lon, car.lat] },
        properties: { vehicle_id: car.vehicle_id, plate: car.plate, state: this.stateOf(car), selected: car.vehicle_id === this.selected } });
    }
    return out;
  }

  refresh() {
    this.layer?.schedule();
    if (this.listTimer) return;
    this.listTimer = setTimeout(() => { this.listTimer = null; this.renderList(); }, 250);
  }

  renderList() {
    const fresh = [];
    for (const id of this.dirtyRows) {
      const car = this.cars.get(id);
      if (!car) continue;
      let row = this.rows.get(id);
      if (!row) {
        const dot = h('span', { class: 'dot' });
        const plate = h('strong', { class: 'plate' }, car.plate);
        const speed = h('span', { class: 'speed muted' });
        row = h('li', { class: 'console-car', dataset: { vehicleId: id, plate: car.plate }, onclick: () => this.select(id, true) },
          dot, plate, speed);
        row.parts = { dot, speed, state: null, speedText: null };
        this.rows.set(id, row);
        fresh.push(row);
      }
      // only what changed is touched: 2,000 rows four times a second must not re-layout the page
      const state = this.stateOf(car);
      const parts = row.parts;
      if (parts.state !== state) {
        parts.state = state;
        row.dataset.state = state;
        parts.dot.style.background = STATE_COLOURS[state];
      }
      const speedText = state === 'offline' ? t('console.state.offline') : `${num(car.speed_kmh)} km/h`;
      if (parts.speedText !== speedText) { parts.speedText = speedText; parts.speed.textContent = speedText; }
      if (car.lat !== undefined && car.lat !== null) { row.dataset.lat = car.lat; row.dataset.lon = car.lon; }
      const hidden = Boolean(this.query) && !car.plate.includes(this.query);
      if (row.hidden !== hidden) row.hidden = hidden;
    }
    this.dirtyRows.clear();
    if (fresh.length) {
      this.listEl.append(...fresh);
      const sorted = [...this.rows.values()].sort((a, b) => a.dataset.plate.localeCompare(b.dataset.plate));
      this.listEl.replaceChildren(...sorted);
    }
    const counts = {};
    for (const car of this.cars.values()) { const s = this.stateOf(car); counts[s] = (counts[s] ?? 0) + 1; }
    this.countsEl.replaceChildren(...Object.keys(STATE_COLOURS).map(s => h('span', { class: 'legend-item', dataset: { state: s } },
      h('span', { class: 'dot', style: `background:${STATE_COLOURS[s]}` }), `${t(`console.state.${s}`)} ${counts[s] ?? 0}`)));
    if (this.selected !== null) this.renderDetail();
  }

  filterList() {
    for (const [id, row] of this.rows) row.hidden = Boolean(this.query) && !this.cars.get(id).plate.includes(this.query);
  }

  select(id, fly) {
    this.selected = id;
    const car = this.cars.get(id);
    for (const [rid, row] of this.rows) row.classList.toggle('selected', rid === id);
    if (fly && car?.lat !== null && car?.lat !== undefined) this.map.easeTo({ center: [car.lon, car.lat], zoom: Math.max(this.map.getZoom(), 14) });
    this.detailEl.hidden = false;
    this.renderDetail(true);
    this.layer.schedule();
  }

  renderDetail(full = false) {
    const car = this.cars.get(this.selected);
    if (!car) return;
    const state = this.stateOf(car);
    const energy = car.soc !== null && car.soc !== undefined
      ? [t('console.soc'), `${num(car.soc)} %`] : [t('console.fuel'), `${num(car.fuel_l, 1)} L`];
    const facts = [
      [t('console.state'), h('span', { class: 'tag', style: `background:${STATE_COLOURS[state]};color:#fff` }, t(`console.state.${state}`))],
      [t('console.speed'), `${num(car.speed_kmh)} km/h`],
      energy,
      [t('console.driver'), car.driver ?? '—'],
      [t('console.task'), car.task ?? '—'],
      [t('console.odometer'), `${num(car.odometer_km, 1)} km`],
      [t('console.time'), when(car.time)],
    ];
    const body = h('dl', { class: 'console-facts' }, facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    if (full || !this.detailEl.querySelector('.console-facts')) {
      this.detailEl.replaceChildren(
        h('header', {}, h('strong', { class: 'detail-plate' }, car.plate),
          h('button', { type: 'button', class: 'link', onclick: () => this.unselect() }, '×')),
        body, this.replay.form(car));
    } else {
      this.detailEl.querySelector('.console-facts').replaceWith(body);
    }
  }

  unselect() {
    this.selected = null;
    this.detailEl.hidden = true;
    this.replay.clear();
    for (const row of this.rows.values()) row.classList.remove('selected');
    this.layer.schedule();
  }

  // ---------------------------------------------------------------- alarms

  async loadAlarms() {
    const [open, done] = await Promise.all([
      this.api.get('/api/telematics/alarms', { status: 'open', limit: 200 }),
      this.api.get('/api/telematics/alarms', { status: 'acknowledged', limit: 20 }),
    ]);
    for (const alarm of [...done, ...open]) this.alarms.set(alarm.id, alarm);
    this.renderAlarms();
  }

  alarm(alarm, event) {
    const known = this.alarms.get(alarm.id);
    this.alarms.set(alarm.id, { ...known, ...alarm, plate: alarm.plate ?? known?.plate });
    this._alarmed = null;
    this.dirtyRows.add(alarm.vehicle_id);
    this.refresh();
    this.renderAlarms(event === 'raised' ? alarm.id : null);
  }

  renderAlarms(fresh = null) {
    this._alarmed = null;
    const sorted = [...this.alarms.values()].sort((a, b) => (a.status === b.status ? b.id - a.id : a.status === 'open' ? -1 : 1));
    this.alarmsEl.replaceChildren(...sorted.slice(0, 100).map(a => this.alarmRow(a, a.id === fresh)));
  }

  alarmRow(alarm, fresh) {
    const note = h('input', { type: 'text', class: 'ack-note', placeholder: t('console.ack_note'), maxlength: 400 });
    const ack = h('button', { type: 'button', class: 'ack', onclick: async () => {
      ack.disabled = true;
      try {
        const done = await this.api.post(`/api/telematics/alarms/${alarm.id}/ack`, { note: note.value });
        this.alarm(done, 'acknowledged');
      } catch (error) { ack.disabled = false; ack.title = error.message; }
    } }, t('console.ack'));
    const open = alarm.status === 'open';
    return h('li', { class: `console-alarm ${alarm.severity}${fresh ? ' fresh' : ''}`, dataset: { alarmId: alarm.id, status: alarm.status, kind: alarm.kind } },
      h('div', { class: 'alarm-head' },
        h('strong', { class: 'alarm-kind' }, t(`alarm.${alarm.kind}`)),
        h('a', { href: '#/console', class: 'alarm-plate', onclick: (e) => { e.preventDefault(); this.select(alarm.vehicle_id, true); } }, alarm.plate ?? `#${alarm.vehicle_id}`)),
      h('div', { class: 'muted' }, when(alarm.started_at),
        alarm.cleared_at ? ` · ${t('console.cleared')}` : '',
        alarm.details?.limit_kmh ? ` · ${num(alarm.details.speed_kmh)}/${num(alarm.details.limit_kmh)} km/h` : ''),
      open ? h('div', { class: 'alarm-ack' }, note, ack)
        : h('div', { class: 'alarm-done muted' }, t('console.acked_by', { who: alarm.ack_by ?? '', at: when(alarm.ack_at) }),
          alarm.ack_note ? ` — ${alarm.ack_note}` : ''));
  }
}
