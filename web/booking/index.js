// The requester's booking page (mobile first): book a car — purpose, passengers, from and to (frequent places
// or a tap on the map), the time window, the car category, pooling — then follow it: status, timeline, the
// car and driver, the check-in code, the live ETA and the car on the map; cancel; notifications.
//   #/booking          new booking            #/booking/mine    my trips
//   #/booking/inbox    notifications          #/booking/<id>    one booking
import { formatYuan, getLocale, pick } from '../js/i18n.js';
import { h } from '../js/ui.js';
import { tripMap } from './map.js';
import { STATUS_TONE, statusName, tt, when } from './messages.js';

const REFRESH_MS = 10_000;
let current = null;

export async function render(view, ctx) {
  current?.close();
  await ensureStyles();
  const sub = location.hash.replace(/^#\/?/, '').split('/')[1] ?? '';
  current = new BookingPage(view, ctx);
  await current.show(sub);
}

window.addEventListener('hashchange', () => {
  if (current && !location.hash.startsWith('#/booking')) { current.close(); current = null; }
});

export function ensureStyles() {
  if (document.querySelector('link[data-booking-css]')) return Promise.resolve();
  const link = h('link', { rel: 'stylesheet', href: '/static/booking/booking.css', dataset: { bookingCss: '' } });
  const loaded = new Promise(resolve => { link.onload = resolve; link.onerror = resolve; });
  document.head.append(link);
  return loaded;
}

function localInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function statusTag(booking) {
  return h('span', { class: `tag ${STATUS_TONE[booking.status] ?? ''}`, dataset: { status: booking.status } }, statusName(booking));
}

class BookingPage {
  constructor(view, ctx) {
    this.view = view;
    this.api = ctx.api;
    this.me = ctx.me;
    this.timer = null;
    this.map = null;
    this.points = { pickup: null, dropoff: null };
  }

  close() {
    clearInterval(this.timer);
    this.map?.remove();
    this.map = null;
  }

  async show(sub) {
    const inbox = await this.api.get('/api/notifications', { limit: 1 });
    const tab = /^\d+$/.test(sub) ? 'mine' : (sub || 'new');
    const tabs = h('nav', { class: 'booking-tabs' },
      [['new', tt('booking.new')], ['mine', tt('booking.mine')], ['inbox', tt('booking.inbox')]].map(([id, label]) =>
        h('a', { href: id === 'new' ? '#/booking' : `#/booking/${id}`, class: id === tab ? 'active' : undefined, dataset: { tab: id } },
          label, id === 'inbox' && inbox.unread ? h('span', { class: 'badge', id: 'unread' }, inbox.unread) : null)));
    this.body = h('div', { class: 'booking-body' });
    this.view.replaceChildren(h('div', { class: 'booking-page' }, tabs, this.body));
    if (/^\d+$/.test(sub)) return this.detail(Number(sub));
    if (sub === 'mine') return this.mine();
    if (sub === 'inbox') return this.inbox();
    return this.form();
  }

  // ------------------------------------------------------------------ the form

  async form() {
    const [catalog, places] = await Promise.all([this.api.get('/api/bookings/catalog'), this.api.get('/api/bookings/places')]);
    this.places = places;
    const start = new Date(Date.now() + 60 * 60_000);
    start.setMinutes(Math.ceil(start.getMinutes() / 10) * 10, 0, 0);
    const end = new Date(start.getTime() + 60 * 60_000);
    const field = (label, input) => h('label', {}, h('span', {}, label), input);
    const placeSelect = (kind) => h('select', { name: `${kind}_place`, onchange: (e) => this.choosePlace(kind, e.target.value) },
      h('option', { value: '' }, tt('booking.pick_place')),
      places.map(p => h('option', { value: p.id }, getLocale() === 'en' && p.name_en ? p.name_en : p.name)));
    const stop = (kind, label) => h('fieldset', { class: 'stop', dataset: { kind } },
      h('legend', {}, h('span', { class: `dot ${kind}` }), label),
      placeSelect(kind),
      h('div', { class: 'stop-row' },
        h('span', { class: 'stop-address muted', id: `${kind}-address` }, '—'),
        h('button', { type: 'button', class: 'link', dataset: { pick: kind }, onclick: () => this.pickOnMap(kind) }, tt('booking.pick_on_map'))));
    this.estimateEl = h('p', { class: 'estimate muted', id: 'estimate' });
    this.errorEl = h('p', { class: 'error', id: 'booking-error', role: 'alert', hidden: true });
    this.mapEl = h('div', { class: 'booking-map', id: 'booking-map' });
    const categories = catalog.categories.filter(c => c.max_seats > 0);
    this.formEl = h('form', { class: 'booking-form card', id: 'booking-form', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      field(tt('booking.purpose'), h('input', { name: 'purpose', required: true, maxlength: 200, placeholder: tt('booking.purpose_hint') })),
      h('div', { class: 'pair' },
        field(tt('booking.passengers'), h('input', { name: 'passengers', type: 'number', min: 1, max: 60, value: 1, required: true })),
        field(tt('booking.category'), h('select', { name: 'category' },
          categories.map(c => h('option', { value: c.code, disabled: !c.allowed, selected: c.code === 'other' }, pick(c.name)))))),
      field(tt('booking.names'), h('input', { name: 'passenger_names', maxlength: 300 })),
      stop('pickup', tt('booking.from')),
      stop('dropoff', tt('booking.to')),
      this.mapEl,
      h('div', { class: 'pair' },
        field(tt('booking.earliest'), h('input', { name: 'earliest_pickup', type: 'datetime-local', required: true, value: localInput(start) })),
        field(tt('booking.latest'), h('input', { name: 'latest_arrival', type: 'datetime-local', required: true, value: localInput(end) }))),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'poolable', checked: true }), tt('booking.poolable')),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'confidential' }), tt('booking.confidential')),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'leader_trip' }), tt('booking.leader')),
      h('div', { class: 'pair' },
        field(tt('booking.contact'), h('input', { name: 'contact_phone', type: 'tel', maxlength: 32 })),
        field(tt('booking.note'), h('input', { name: 'note', maxlength: 255 }))),
      this.estimateEl, this.errorEl,
      h('button', { type: 'submit', class: 'wide', id: 'booking-submit' }, tt('booking.submit')));
    this.formEl.elements.category.addEventListener('change', () => this.estimate());
    this.body.replaceChildren(this.formEl);
    this.map = await tripMap(this.mapEl, { onPick: (kind, lonlat) => this.picked(kind, lonlat) });
    if (!this.map) {
      for (const b of this.formEl.querySelectorAll('[data-pick]')) b.hidden = true;
      this.estimateEl.textContent = tt('booking.no_map');
    }
    this.formEl.dataset.ready = 'true';
  }

  choosePlace(kind, id) {
    const place = this.places.find(p => String(p.id) === String(id));
    this.setPoint(kind, place ? { lat: place.lat, lon: place.lon, address: place.name } : null);
  }

  pickOnMap(kind) {
    if (!this.map) return;
    this.map.pick(kind);
    this.estimateEl.textContent = tt('booking.picking', { what: tt(kind === 'pickup' ? 'booking.from' : 'booking.to') });
  }

  async picked(kind, [lon, lat]) {
    let point = { lat, lon, address: `${lat.toFixed(5)}, ${lon.toFixed(5)}` };
    try {
      const [snap] = await this.api.post('/api/routing/snap', { points: [{ lat, lon }] });
      if (snap.on_road) point = { lat: snap.snapped.lat, lon: snap.snapped.lon, address: snap.road_name || point.address };
    } catch { /* keep the tapped point */ }
    this.formEl.elements[`${kind}_place`].value = '';
    this.setPoint(kind, point);
  }

  setPoint(kind, point) {
    this.points[kind] = point;
    document.getElementById(`${kind}-address`).textContent = point ? point.address : '—';
    this.map?.set(kind, point ? [point.lon, point.lat] : null);
    this.map?.fit();
    this.estimate();
  }

  async estimate() {
    const { pickup, dropoff } = this.points;
    this.map?.route(null);
    if (!pickup || !dropoff) { this.estimateEl.textContent = ''; return; }
    try {
      const e = await this.api.post('/api/bookings/estimate', {
        pickup, dropoff, category: this.formEl.elements.category.value });
      this.estimateEl.replaceChildren(tt('booking.estimate', { km: e.km.toFixed(1), min: Math.round(e.minutes), cost: formatYuan(e.cost) }),
        e.beyond_city ? h('strong', { class: 'beyond' }, ` · ${tt('booking.beyond_city')}`) : '');
      this.map?.route(e.geometry);
      this.map?.fit();
    } catch (error) {
      this.estimateEl.textContent = error.message;
    }
  }

  async submit() {
    const f = this.formEl.elements;
    const button = document.getElementById('booking-submit');
    this.errorEl.hidden = true;
    const iso = (value) => (value ? new Date(value).toISOString() : value);
    const body = {
      purpose: f.purpose.value.trim(),
      passengers: Number(f.passengers.value),
      passenger_names: f.passenger_names.value.split(/[,，、]/).map(s => s.trim()).filter(Boolean),
      pickup: this.points.pickup, dropoff: this.points.dropoff,
      earliest_pickup: iso(f.earliest_pickup.value), latest_arrival: iso(f.latest_arrival.value),
      category: f.category.value, poolable: f.poolable.checked, confidential: f.confidential.checked,
      leader_trip: f.leader_trip.checked,
      contact_phone: f.contact_phone.value.trim() || null, note: f.note.value.trim() || null,
    };
    button.disabled = true;
    button.textContent = tt('booking.submitting');
    try {
      const booking = await this.api.post('/api/bookings', body);
      location.hash = `#/booking/${booking.id}`;
    } catch (error) {
      this.errorEl.textContent = error.message;
      this.errorEl.dataset.code = error.code ?? '';
      this.errorEl.hidden = false;
      button.disabled = false;
      button.textContent = tt('booking.submit');
    }
  }

  // ------------------------------------------------------------------ my trips

  async mine() {
    const bookings = await this.api.get('/api/bookings', { mine: true, limit: 100 });
    this.body.replaceChildren(bookings.length
      ? h('ul', { class: 'booking-list' }, bookings.map(b => bookingCard(b, `#/booking/${b.id}`)))
      : h('p', { class: 'muted' }, tt('booking.none')));
  }

  // ------------------------------------------------------------------ one booking

  async detail(id) {
    const facts = h('div', { class: 'booking-detail', id: 'booking-detail' });
    const rest = h('div');
    this.mapEl = h('div', { class: 'booking-map', id: 'booking-map' });
    this.body.replaceChildren(h('p', {}, h('a', { href: '#/booking/mine' }, `‹ ${tt('booking.back')}`)), facts, this.mapEl, rest);
    const draw = async () => {
      const b = await this.api.get(`/api/bookings/${id}`);
      facts.replaceChildren(...bookingFacts(b));
      rest.replaceChildren(...bookingTimeline(b), this.actions(b));
      if (this.map) {
        this.map.set('pickup', [b.pickup_lon, b.pickup_lat]);
        this.map.set('dropoff', [b.dropoff_lon, b.dropoff_lat]);
        this.map.set('car', b.live ? [b.live.lon, b.live.lat] : null);
      }
      return b;
    };
    await draw();
    this.map = await tripMap(this.mapEl);
    if (this.map) { await draw(); this.map.fit(); }
    this.timer = setInterval(() => draw().catch(() => {}), REFRESH_MS);
  }

  actions(b) {
    if (!b.can_cancel) return '';
    const reason = h('input', { name: 'cancel_reason', placeholder: tt('booking.cancel_reason'), maxlength: 255 });
    return h('div', { class: 'booking-actions' }, reason,
      h('button', { type: 'button', class: 'secondary wide', id: 'booking-cancel', onclick: async (e) => {
        e.target.disabled = true;
        try {
          await this.api.post(`/api/bookings/${b.id}/cancel`, { reason: reason.value.trim() || null });
          await this.show(String(b.id));
        } catch (error) {
          e.target.disabled = false;
          reason.setCustomValidity(error.message);
          reason.reportValidity();
        }
      } }, tt('booking.cancel')));
  }

  // ------------------------------------------------------------------ notifications

  async inbox() {
    const data = await this.api.get('/api/notifications', { limit: 100 });
    const list = data.items.length
      ? h('ul', { class: 'inbox' }, data.items.map(n => h('li', { class: n.read_at ? 'read' : 'unread' },
          h('a', { href: n.booking_id ? `#/booking/${n.booking_id}` : '#/booking/inbox' },
            getLocale() === 'en' ? n.text_en : n.text_zh),
          h('div', { class: 'muted small' }, when(n.created_at)))))
      : h('p', { class: 'muted' }, tt('booking.no_inbox'));
    const markRead = h('button', { type: 'button', class: 'secondary', onclick: async () => {
      await this.api.post('/api/notifications/read', {});
      await this.show('inbox');
    } }, tt('booking.mark_read'));
    this.body.replaceChildren(data.unread ? h('div', { class: 'toolbar' }, markRead) : '', list);
  }
}

/** A booking as a card of a list (used by the approvals page too). */
export function bookingCard(b, href, ...extra) {
  return h('li', { class: 'booking-card card', dataset: { code: b.code, id: b.id, status: b.status } },
    h('div', { class: 'card-head' }, h('a', { href }, h('strong', {}, b.code)), statusTag(b)),
    h('div', { class: 'purpose' }, b.purpose),
    h('div', { class: 'muted small' }, `${when(b.earliest_pickup)} – ${when(b.latest_arrival, false)}`),
    h('div', { class: 'small' }, `${b.pickup_address} → ${b.dropoff_address}`),
    ...extra);
}

function bookingFacts(b) {
  const rows = [
    [tt('booking.code'), b.code],
    [tt('booking.when'), `${when(b.earliest_pickup)} – ${when(b.latest_arrival, false)}`],
    [tt('booking.route'), `${b.pickup_address} → ${b.dropoff_address}`],
    [tt('booking.passengers'), `${b.passengers}${b.passenger_names.length ? ` (${b.passenger_names.join('、')})` : ''} · ${b.may_pool ? tt('booking.pooled') : tt('booking.not_pooled')}`],
    [tt('booking.km'), `${b.estimated_km.toFixed(1)} km · ${Math.round(b.estimated_minutes)} min`],
    [tt('booking.cost'), `¥${formatYuan(b.estimated_cost)}`],
  ];
  if (b.plate) rows.push([tt('booking.car'), b.plate]);
  if (b.driver_name) {
    rows.push([tt('booking.driver'), b.driver_phone
      ? h('span', {}, `${b.driver_name} `, h('a', { href: `tel:${b.driver_phone}` }, b.driver_phone)) : b.driver_name]);
  }
  if (b.checkin_code && ['assigned', 'in_progress'].includes(b.status)) {
    rows.push([tt('booking.checkin'), h('strong', { class: 'checkin', id: 'checkin' }, b.checkin_code)]);
  }
  if (b.live?.eta_minutes !== undefined && b.live?.eta_minutes !== null) {
    const key = b.live.target === 'pickup' ? 'booking.eta_pickup' : 'booking.eta_dropoff';
    rows.push([tt('booking.eta'), h('span', { id: 'eta' }, tt(key, { min: Math.max(1, Math.round(b.live.eta_minutes)), at: when(b.live.eta, false) }))]);
  }
  return [
    h('div', { class: 'detail-head' }, h('h2', {}, b.purpose), h('span', { id: 'booking-status' }, statusTag(b)),
      b.beyond_city ? h('span', { class: 'tag warn' }, tt('booking.beyond_city')) : ''),
    h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
  ];
}

function bookingTimeline(b) {
  return [
    h('h3', {}, tt('booking.timeline')),
    h('ol', { class: 'timeline', id: 'timeline' }, b.events.map(e => h('li', { dataset: { kind: e.kind } },
      h('span', { class: 'muted small' }, when(e.at)), ' ', tt(`event.${e.kind}`), ` · ${e.actor_name}`,
      e.note ? h('div', { class: 'small' }, e.note) : ''))),
    b.approvals.length ? h('h3', {}, tt('booking.approvals')) : '',
    b.approvals.length ? h('ul', { class: 'timeline' }, b.approvals.map(a => h('li', {},
      `${tt('booking.level', { n: a.level })} · ${a.approver_name ?? ''} · `,
      h('span', { class: `tag ${a.decision === 'approved' ? 'ok' : 'bad'}` }, tt(`event.${a.decision}`)),
      a.reason ? ` ${a.reason}` : ''))) : '',
  ];
}
