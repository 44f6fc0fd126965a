import { formatYuan, t } from '../i18n.js';
import { bar, h, table } from '../ui.js';

export async function render(view, { api }) {
  const year = new Date().getFullYear();
  const [rows, sangong] = await Promise.all([
    api.get('/api/budget/execution', { year }), api.get('/api/budget/sangong', { year })]);
  const groups = ['official_cars', 'reception', 'travel_abroad'];
  view.replaceChildren(
    h('h2', {}, `${t('budget.title')} · ${year}`),
    table([
      { label: t('common.unit'), value: r => r.unit_name },
      { label: t('budget.class'), value: r => `${r.economic_class} ${r.class_name}` },
      { label: t('budget.amount'), value: r => formatYuan(r.amount), num: true },
      { label: t('budget.reserved'), value: r => formatYuan(r.reserved), num: true },
      { label: t('budget.charged'), value: r => formatYuan(r.charged), num: true },
      { label: t('budget.available'), value: r => formatYuan(r.available), num: true },
      { label: t('budget.rate'), value: r => h('div', {}, bar(r.execution_rate), `${(r.execution_rate * 100).toFixed(1)}%`) },
    ], rows),
    h('h2', {}, t('budget.sangong')),
    table([
      { label: t('common.unit'), value: r => r.unit_name },
      ...groups.map(g => ({ label: t(`budget.${g}`), num: true,
        value: r => `${formatYuan(r.charged[g])} / ${formatYuan(r.budget[g])}` })),
      { label: t('budget.total'), value: r => `${formatYuan(r.total_charged)} / ${formatYuan(r.total_budget)}`, num: true },
    ], sangong));
}
