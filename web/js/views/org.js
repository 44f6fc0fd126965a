import { t } from '../i18n.js';
import { h, table } from '../ui.js';

export async function render(view, { api }) {
  const [units, users] = await Promise.all([api.get('/api/units'), api.get('/api/users')]);
  const unitName = Object.fromEntries(units.map(u => [u.id, u.name]));
  const depth = u => u.path.split('/').filter(Boolean).length - 1;
  view.replaceChildren(
    h('h2', {}, t('org.units')),
    table([
      { label: t('common.unit'), value: u => h('span', { style: `padding-left:${depth(u) * 1.4}em` }, u.name) },
      { label: 'Code', value: u => u.code },
    ], units),
    h('h2', {}, t('org.users')),
    table([
      { label: t('org.name'), value: u => u.full_name },
      { label: t('org.username'), value: u => u.username },
      { label: t('common.unit'), value: u => unitName[u.unit_id] ?? u.unit_id },
      { label: t('org.rank'), value: u => u.rank },
      { label: t('org.roles'), value: u => u.roles.map(r => h('span', { class: 'tag' }, r)) },
      { label: '', value: u => u.disabled ? h('span', { class: 'tag bad' }, t('org.disabled')) : '' },
    ], users));
}
