import { t } from '../i18n.js';
import { h, table } from '../ui.js';

export async function render(view, { api }) {
  const result = h('p', { class: 'muted', id: 'verify-result' });
  const verify = h('button', { type: 'button', onclick: async () => {
    const outcome = await api.get('/api/audit/verify');
    result.className = outcome.intact ? 'tag ok' : 'tag bad';
    result.textContent = outcome.intact
      ? t('audit.intact', { n: outcome.checked })
      : t('audit.broken', { id: outcome.first_broken_id, reason: outcome.reason });
  } }, t('audit.verify'));
  const records = await api.get('/api/audit/records', { limit: 200 });
  const change = r => JSON.stringify(r.after ?? r.before ?? {}).slice(0, 160);
  view.replaceChildren(
    h('h2', {}, t('audit.title')),
    h('div', { class: 'toolbar' }, verify, result),
    table([
      { label: '#', value: r => r.id, num: true },
      { label: t('audit.at'), value: r => new Date(r.at).toLocaleString() },
      { label: t('audit.actor'), value: r => r.actor },
      { label: t('audit.action'), value: r => h('code', {}, r.action) },
      { label: t('audit.entity'), value: r => `${r.entity_type} ${r.entity_id}` },
      { label: t('audit.change'), value: r => h('code', { class: 'muted' }, change(r)) },
    ], records));
}
