// Track replay of one car for a time range: the line of its trusted points, a marker that drives it again
// (play / pause / scrub), and the trips of the range (a click shows one trip).
import { getLocale, t } from '../js/i18n.js';
import { h } from '../js/ui.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

function localInput(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

function hm(iso) {
  return new Date(iso).toLocaleTimeString(getLocale() === 'en' ? 'en-GB' : 'zh-CN', { hour12: false, hour: '2-digit', minute: '2-digit' });
}

export class Replay {
  constructor(map, api, container) {
    this.map = map;
    this.api = api;
    this.container = container;
    this.points = [];
    this.frame = null;
  }

  form(car) {
    const now = new Date();
    this.start = h('input', { type: 'datetime-local', value: localInput(new Date(now - 2 * 3600_000)), name: 'start' });
    this.end = h('input', { type: 'datetime-local', value: localInput(new Date(now.getTime() + 60_000)), name: 'end' });
    this.slider = h('input', { type: 'range', min: 0, max: 0, value: 0, class: 'replay-slider',
      oninput: () => { this.pause(); this.show(Number(this.slider.value)); } });
    this.playButton = h('button', { type: 'button', class: 'secondary', onclick: () => this.toggle() }, t('console.play'));
    this.trips = h('ul', { class: 'replay-trips' });
    this.info = h('span', { class: 'muted replay-info' });
    return h('div', { class: 'replay' },
      h('h4', {}, t('console.replay')),
      h('div', { class: 'replay-range' }, this.start, this.end,
        h('button', { type: 'button', class: 'load-track', onclick: () => this.load(car.vehicle_id) }, t('console.load_track'))),
      h('div', { class: 'replay-controls' }, this.playButton, this.slider, this.info),
      this.trips);
  }

  async load(vehicleId) {
    this.pause();
    const range = { start: new Date(this.start.value).toISOString(), end: new Date(this.end.value).toISOString() };
    const [track, trips] = await Promise.all([
      this.api.get(`/api/telematics/vehicles/${vehicleId}/track`, range),
      this.api.get(`/api/telematics/vehicles/${vehicleId}/trips`, range),
    ]);
    this.points = track.points;
    this.map.getSource('track').setData(this.points.length > 1
      ? { type: 'Feature', geometry: { type: 'LineString', coordinates: this.points.map(p => [p[0], p[1]]) } } : EMPTY);
    this.slider.max = Math.max(0, this.points.length - 1);
    this.slider.value = 0;
    this.info.textContent = t('console.points', { n: this.points.length });
    if (this.points.length) {
      const lons = this.points.map(p => p[0]);
      const lats = this.points.map(p => p[1]);
      this.map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { padding: { top: 40, bottom: 40, right: 40, left: this.container.offsetWidth + 40 }, maxZoom: 16 });
      this.show(0);
    }
    this.trips.replaceChildren(...(trips.length ? trips : []).map(trip => h('li', { class: 'replay-trip', onclick: () => this.jumpTo(trip.start_time) },
      `${hm(trip.start_time)}–${trip.end_time ? hm(trip.end_time) : '…'} · ${trip.distance_km.toFixed(1)} km · ${Math.round(trip.duration_s / 60)} min · ≤${Math.round(trip.max_speed_kmh)} km/h`
      + (trip.fuel_used_l !== null ? ` · ${trip.fuel_used_l.toFixed(1)} L` : '')
      + (trip.energy_used_kwh !== null ? ` · ${trip.energy_used_kwh.toFixed(1)} kWh` : ''))));
    if (!trips.length) this.trips.append(h('li', { class: 'muted' }, t('console.no_trips')));
  }

  jumpTo(iso) {
    const index = this.points.findIndex(p => p[2] >= iso);
    if (index >= 0) { this.pause(); this.show(index); }
  }

  show(index) {
    const p = this.points[index];
    if (!p) return;
    this.slider.value = index;
    this.map.getSource('replay').setData({ type: 'Feature', geometry: { type: 'Point', coordinates: [p[0], p[1]] }, properties: {} });
    this.info.textContent = `${hm(p[2])} · ${p[3] ?? '—'} km/h`;
  }

  toggle() { if (this.frame) this.pause(); else this.play(); }

  play() {
    if (!this.points.length) return;
    let index = Number(this.slider.value);
    if (index >= this.points.length - 1) index = 0;
    let last = performance.now();
    this.playButton.textContent = t('console.pause');
    const step = (now) => {
      if (now - last >= 80) { last = now; index += 1; this.show(index); }
      if (index >= this.points.length - 1) { this.pause(); return; }
      this.frame = requestAnimationFrame(step);
    };
    this.frame = requestAnimationFrame(step);
  }

  pause() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = null;
    if (this.playButton) this.playButton.textContent = t('console.play');
  }

  clear() {
    this.pause();
    this.points = [];
    this.map.getSource('track')?.setData(EMPTY);
    this.map.getSource('replay')?.setData(EMPTY);
  }

  stop() { this.pause(); }
}
