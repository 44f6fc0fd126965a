// The dispatcher's charging page: per site, the plan in force as a timeline (connectors × time, sessions as
// bars, the power curve against the cap), the trips that cannot be served and why, the drivers' instructions,
// and a button to re-plan now.
import { formatYuan } from '../js/i18n.js';
import { h, showError } from '../js/ui.js';
import { instructionList, loadInstructions } from './instructions.js';
import { dayClock, tt } from './messages.js';
import { timelineSvg } from './timeline.js';

export async function render(view, ctx) {
  ensureStyles();
  const sites = await ctx.api.get('/api/charging/sites');
  const page = h('div', { class: 'charging-page' });
  view.replaceChildren(h('h2', {}, tt('title')), page);
  if (!sites.length) { page.append(h('p', { class: 'muted' }, tt('no_plan'))); return; }
  const select = h('select', { 'aria-label': tt('site') }, sites.map(s => h('option', { value: s.id }, s.name)));
  const body = h('div');
  const canPlan = ctx.me.permissions.includes('charging.plan.run');
  const button = canPlan ? h('button', { type: 'button', class: 'replan' }, tt('replan')) : null;
  page.append(h('div', { class: 'charging-bar' }, h('label', {}, tt('site'), ' ', select), button), body);
  const show = () => draw(body, ctx.api, Number(select.value)).catch(error => showError(body, error));
  select.addEventListener('change', show);
  button?.addEventListener('click', async () => {
    button.disabled = true; button.textContent = tt('replanning');
    try { await ctx.api.post('/api/charging/plan'); await show(); } catch (error) { showError(body, error); }
    button.disabled = false; button.textContent = tt('replan');
  });
  await show();
}

async function draw(body, api, siteId) {
  const [data, instructions] = await Promise.all([api.get(`/api/charging/sites/${siteId}/plan`), loadInstructions(api)]);
  const plan = data.plan;
  if (!plan) { body.replaceChildren(h('p', { class: 'muted' }, tt('no_plan'))); return; }
  const unserved = plan.trips.filter(t => !t.ok);
  const assumed = Object.values(plan.soc_sources).filter(s => s === 'assumed').length;
  body.replaceChildren(
    h('p', { class: 'charging-summary' },
      tt('planned_at', { at: dayClock(data.planned_at), trigger: tt(`trigger_${data.trigger}`) }), ' · ',
      tt('cost', { yuan: formatYuan(plan.cost) }), ' · ', tt('peak', { kw: plan.peak_kw.toFixed(1) }), ' · ',
      tt('cap', { kw: data.site.cap_kw }), ' · ', tt('moves', { n: plan.plug_moves }),
      assumed ? h('span', { class: 'muted' }, ` · ${assumed} × ${tt('soc_assumed')}`) : null),
    h('div', { class: 'charging-scroll' }, timelineSvg(data)),
    h('h3', {}, tt('unserved')),
    unserved.length
      ? h('ul', { class: 'charging-unserved' }, unserved.map(t => h('li', { dataset: { reason: t.reason } }, t.message)))
      : h('p', { class: 'ok' }, tt('all_served')),
    h('h3', {}, tt('instructions')),
    instructionList(instructions.filter(i => i.site_id === siteId)));
}

function ensureStyles() {
  if (document.querySelector('style[data-charging]')) return;
  document.head.append(h('style', { dataset: { charging: '' } }, `
    .charging-bar { display: flex; gap: 1rem; align-items: center; margin-bottom: .5rem; }
    .charging-scroll { overflow-x: auto; border: 1px solid #eee; background: #fff; }
    .charging-unserved li { color: #a00; }
    .charging-instructions li.now { font-weight: 600; }
    .charging-page .ok { color: #17803d; }`));
}
