import { pick, t } from '../i18n.js';
import { h, table } from '../ui.js';

export async function render(view, { api }) {
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
  view.replaceChildren(
    h('h2', {}, t('fleet.title')),
    h('div', { class: 'toolbar' }, search),
    list,
    h('h2', {}, t('fleet.quota')),
    table([
      { label: t('common.unit'), value: q => unitName[q.unit_id] ?? q.unit_id },
      { label: t('fleet.category'), value: q => pick(catalog.categories[q.category]) },
      { label: t('fleet.allowed'), value: q => q.allowed, num: true },
      { label: t('fleet.used'), value: q => q.used, num: true },
    ], quotas));
}
