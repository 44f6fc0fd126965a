import { t } from '../i18n.js';
import { bar, h } from '../ui.js';

export async function render(view, { me, api }) {
  const cards = [];
  if (me.permissions.includes('fleet.vehicle.read')) {
    const cars = await api.get('/api/fleet/vehicles');
    cards.push(card(t('home.vehicles'), cars.length));
    cards.push(card(t('home.new_energy'), cars.filter(c => c.energy_type !== 'fuel').length));
  }
  if (me.permissions.includes('identity.unit.read')) {
    const units = await api.get('/api/units');
    cards.push(card(t('home.units'), units.length));
  }
  if (me.permissions.includes('budget.report.read')) {
    const rows = await api.get('/api/budget/execution', { year: new Date().getFullYear() });
    const cars = rows.filter(r => r.economic_class === '30231');
    const amount = cars.reduce((s, r) => s + Number(r.amount), 0);
    const charged = cars.reduce((s, r) => s + Number(r.charged), 0);
    const rate = amount ? charged / amount : 0;
    cards.push(h('div', { class: 'card' }, h('div', { class: 'muted' }, t('home.budget')),
      h('div', { class: 'stat' }, `${(rate * 100).toFixed(1)}%`), bar(rate)));
  }
  view.replaceChildren(
    h('h2', {}, `${t('home.welcome')}，${me.full_name}`),
    h('div', { class: 'grid' }, cards));
}

function card(label, value) {
  return h('div', { class: 'card' }, h('div', { class: 'muted' }, label), h('div', { class: 'stat' }, value));
}
