// The supervisor's pages: the dashboard (findings by month, rule and unit; car costs by unit — charts drawn as
// SVG), the finding queue (filter by status and rule), and a finding with its evidence on the map and the
// decision form. Routes: #/supervision, #/supervision/queue[?status=…], #/supervision/finding/<id>.
import { formatYuan, pick } from '../js/i18n.js';
import { h, showError, table } from '../js/ui.js';
import { bars, columns } from './charts.js';
import { renderFinding } from './finding.js';
import { recentMonths, st, when } from './messages.js';

function route() {
  const [path, query] = location.hash.replace(/^#\/?supervision\/?/, '').split('?');
  return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(query ?? '') };
}

export async function render(view, ctx) {
  ensureStyles();
  const { parts, params } = route();
  const tabs = h('nav', { class: 'sv-tabs' },
    h('a', { href: '#/supervision', class: parts.length ? undefined : 'active' }, st('dashboard')),
    h('a', { href: '#/supervision/queue?status=open', class: parts[0] === 'queue' ? 'active' : undefined }, st('queue')));
  const body = h('div', { class: 'sv-body' });
  view.replaceChildren(h('h2', {}, st('title')), tabs, body);
  try {
    if (parts[0] === 'finding' && parts[1]) await renderFinding(body, ctx, Number(parts[1]));
    else if (parts[0] === 'queue') await renderQueue(body, ctx, params);
    else await renderDashboard(body, ctx);
  } catch (error) {
    showError(body, error);
  }
}

async function renderDashboard(body, ctx) {
  const month = recentMonths(2)[1];
  const canCosts = ctx.me.permissions.includes('costs.read');
  const [data, units] = await Promise.all([
    ctx.api.get('/api/supervision/dashboard'),
    canCosts ? ctx.api.get('/api/costs/units', { month }) : Promise.resolve([]),
  ]);
  const statuses = ['open', 'confirmed', 'explained', 'dismissed'];
  const run = ctx.me.permissions.includes('supervision.run')
    ? h('button', { type: 'button', class: 'secondary sv-run', onclick: async (event) => {
        const button = event.target; button.disabled = true; button.textContent = st('running');
        const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
        try { const done = await ctx.api.post('/api/supervision/run', { day }); button.textContent = st('ran', { day, n: done.findings }); }
        catch (error) { button.textContent = error.message; }
      } }, st('run')) : null;
  body.replaceChildren(
    h('p', { class: 'muted' }, data.last_nightly ? st('last_nightly', { day: data.last_nightly }) : '', ' ', run),
    h('div', { class: 'sv-counts' }, statuses.map(s => h('a', { href: `#/supervision/queue?status=${s}`, class: `sv-count ${s}`, dataset: { status: s } },
      h('strong', {}, String(data.by_status[s] ?? 0)), h('span', {}, st(s))))),
    h('div', { class: 'sv-grid' },
      h('section', {}, h('h3', {}, st('by_month')), columns(data.by_month.map(m => ({ label: m.month.slice(5), value: m.findings })), { className: 'chart chart-months' })),
      h('section', {}, h('h3', {}, st('by_rule')), bars(data.by_rule.map(r => ({ label: pick(r.name), value: r.findings })), { className: 'chart chart-rules' })),
      h('section', {}, h('h3', {}, st('by_unit')), table([
        { label: st('unit'), value: r => r.unit_name },
        { label: st('findings'), value: r => String(r.findings), num: true },
        { label: st('open'), value: r => String(r.statuses.open ?? 0), num: true },
        { label: st('confirmed'), value: r => String(r.statuses.confirmed ?? 0), num: true },
      ], data.by_unit, { empty: st('none') })),
      canCosts ? h('section', {}, h('h3', {}, `${st('cost_by_unit')} · ${month}`),
        bars(units.map(u => ({ label: u.unit_name, value: Number(u.total), text: formatYuan(u.total) })), { className: 'chart chart-units' })) : null));
}

async function renderQueue(body, ctx, params) {
  const status = params.get('status') ?? '';
  const rule = params.get('rule') ?? '';
  const [rows, rules] = await Promise.all([
    ctx.api.get('/api/supervision/findings', { status, rule, limit: 500 }),
    ctx.api.get('/api/supervision/rules'),
  ]);
  const go = (next) => { location.hash = `#/supervision/queue?${new URLSearchParams(Object.entries(next).filter(([, v]) => v))}`; };
  const statusSelect = h('select', { name: 'status', onchange: e => go({ status: e.target.value, rule }) },
    ['', 'open', 'confirmed', 'explained', 'dismissed'].map(s => h('option', { value: s, selected: s === status }, s ? st(s) : st('all'))));
  const ruleSelect = h('select', { name: 'rule', onchange: e => go({ status, rule: e.target.value }) },
    h('option', { value: '' }, st('all')), rules.map(r => h('option', { value: r.rule, selected: r.rule === rule }, pick(r.name))));
  body.replaceChildren(
    h('div', { class: 'sv-filters' }, h('label', {}, st('status'), ' ', statusSelect), h('label', {}, st('rule'), ' ', ruleSelect)),
    table([
      { label: st('when'), value: r => when(r.starts_at) },
      { label: st('plate'), value: r => r.plate },
      { label: st('unit'), value: r => r.unit_name },
      { label: st('rule'), value: r => h('span', { class: `sv-sev ${r.severity}` }, pick(r.rule_name)) },
      { label: st('summary'), value: r => h('a', { href: `#/supervision/finding/${r.id}`, class: 'sv-open' }, pick(r.summary)) },
      { label: st('status'), value: r => h('span', { class: `sv-status ${r.status}` }, pick(r.status_name)) },
    ], rows, { empty: st('none'), rowAttrs: r => ({ dataset: { finding: r.id, rule: r.rule } }) }));
}

function ensureStyles() {
  if (document.querySelector('style[data-supervision]')) return;
  document.head.append(h('style', { dataset: { supervision: '' } }, `
    .sv-tabs { display: flex; gap: 1rem; margin-bottom: .75rem; }
    .sv-tabs a { padding: .25rem .5rem; border-bottom: 2px solid transparent; text-decoration: none; }
    .sv-tabs a.active { border-color: #1e5aa8; font-weight: 600; }
    .sv-counts { display: flex; gap: .75rem; flex-wrap: wrap; margin: .5rem 0 1rem; }
    .sv-count { display: flex; flex-direction: column; padding: .5rem 1rem; border: 1px solid #ddd; border-radius: 6px; text-decoration: none; min-width: 6rem; }
    .sv-count strong { font-size: 1.6rem; }
    .sv-count.open strong { color: #b45309; } .sv-count.confirmed strong { color: #b91c1c; }
    .sv-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; }
    .sv-grid section { border: 1px solid #eee; padding: .5rem; background: #fff; }
    .chart { width: 100%; height: auto; }
    .sv-filters { display: flex; gap: 1rem; margin-bottom: .5rem; }
    .sv-sev.critical { color: #b91c1c; font-weight: 600; } .sv-sev.warning { color: #b45309; }
    .sv-status.open { color: #b45309; } .sv-status.confirmed { color: #b91c1c; } .sv-status.dismissed { color: #64748b; }
    .sv-finding { display: grid; grid-template-columns: minmax(300px, 1fr) 2fr; gap: 1rem; }
    .sv-map { height: 460px; border: 1px solid #ddd; }
    .sv-finding dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem .75rem; }
    .sv-finding form { display: flex; flex-direction: column; gap: .5rem; margin-top: 1rem; }
    @media (max-width: 800px) { .sv-finding { grid-template-columns: 1fr; } }`));
}
