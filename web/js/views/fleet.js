import { pick, t } from '../i18n.js';
import { h, table } from '../ui.js';

export async function render(view, { api, me }) {
  const [catalog, units, quotas] = await Promise.all([
    api.get('/api/fleet/catalog'), api.get('/api/units'), api.get('/api/fleet/quotas')]);
  const unitName = Object.fromEntries(units.map(u => [u.id, u.name]));
  const search = h('input', { type: 'search', placeholder: t('fleet.search'), name: 'q' });
  const list = h('div');
  async function load() {
    const cars = await api.get('/api/fleet/vehicles', { q: search.value.trim() });
    list.replaceChildren(table([
      { label: t('fleet.plate'), value: c => h('strong', {}, c.plate) },
      { label: t('fleet.model'), value: c => c.make_model },
      { label: t('fleet.category'), value: c => pick(catalog.categories[c.category]) },
      { label: t('fleet.energy'), value: c => h('span', { class: `tag ${c.energy_type === 'fuel' ? '' : 'ok'}` },
          pick(catalog.energy_types[c.energy_type])) },
      { label: t('fleet.seats'), value: c => c.seats, num: true },
      { label: t('fleet.unit'), value: c => unitName[c.unit_id] ?? c.unit_id },
      { label: t('fleet.status'), value: c => catalog.statuses[c.status] ?? c.status },
      { label: t('fleet.odometer'), value: c => Math.round(c.odometer_km).toLocaleString(), num: true },
      { label: t('fleet.dedicated'), value: c => c.dedicated ? '✓' : '' },
    ], cars, { rowAttrs: c => ({ dataset: { plate: c.plate } }) }));
  }
  search.addEventListener('input', () => load());
  await load();
  const canManage = me.permissions.includes('fleet.vehicle.manage');
  view.replaceChildren(
    h('h2', {}, t('fleet.title')),
    h('div', { class: 'toolbar' }, search),
    list,
    canManage ? registerForm(api, catalog, units, load) : null,
    h('h2', {}, t('fleet.quota')),
    table([
      { label: t('common.unit'), value: q => unitName[q.unit_id] ?? q.unit_id },
      { label: t('fleet.category'), value: q => pick(catalog.categories[q.category]) },
      { label: t('fleet.allowed'), value: q => q.allowed, num: true },
      { label: t('fleet.used'), value: q => q.used, num: true },
    ], quotas));
}

/** The fleet manager's form to register a car; the API's message is shown as it is when it refuses. */
function registerForm(api, catalog, units, reload) {
  const options = (pairs) => Object.entries(pairs).map(([value, label]) => h('option', { value }, pick(label)));
  const field = (label, input) => h('label', {}, h('span', {}, label), input);
  const message = h('p', { role: 'status', class: 'muted', id: 'register-result' });
  const form = h('form', { class: 'card register', id: 'register-car' },
    h('h3', {}, t('fleet.add')),
    h('div', { class: 'grid' },
      field(t('fleet.plate'), h('input', { name: 'plate', required: true, placeholder: '京A12345' })),
      field(t('fleet.vin'), h('input', { name: 'vin', maxlength: 17 })),
      field(t('fleet.unit'), h('select', { name: 'unit_id' }, units.map(u => h('option', { value: u.id }, u.name)))),
      field(t('fleet.category'), h('select', { name: 'category' }, options(catalog.categories))),
      // 其他 (general use) is the usual category; the others need the unit's quota for them
      field(t('fleet.energy'), h('select', { name: 'energy_type' }, options(catalog.energy_types))),
      field(t('fleet.seats'), h('input', { name: 'seats', type: 'number', min: 1, max: 60, value: 5 })),
      field(t('fleet.model'), h('input', { name: 'make_model' })),
      field(t('fleet.battery'), h('input', { name: 'battery_kwh', type: 'number', step: '0.1', min: 0 })),
      field(t('fleet.dedicated'), h('input', { name: 'dedicated', type: 'checkbox' }))),
    h('button', { type: 'submit' }, t('fleet.save')),
    message);
  form.querySelector('select[name=category]').value = 'other';
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      plate: data.get('plate'), vin: data.get('vin') || null, unit_id: Number(data.get('unit_id')),
      category: data.get('category'), energy_type: data.get('energy_type'), seats: Number(data.get('seats')),
      make_model: data.get('make_model') || '', dedicated: data.get('dedicated') === 'on',
      battery_kwh: data.get('battery_kwh') ? Number(data.get('battery_kwh')) : null,
    };
    try {
      const car = await api.post('/api/fleet/vehicles', body);
      message.className = 'tag ok';
      message.textContent = t('fleet.added', { plate: car.plate });
      form.reset();
      form.querySelector('select[name=category]').value = 'other';
      await reload();
    } catch (error) {
      message.className = 'error';
      message.dataset.code = error.code ?? '';
      message.textContent = error.message;
    }
  });
  return form;
}
