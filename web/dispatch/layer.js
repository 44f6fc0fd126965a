// The plan in force on the live console's map (a hook the console loads): each car's planned route as a thin
// line under the cars, the car's next planned stop as its "current task" in the detail panel, and a link to
// the plan page. Cars' positions stay the console's own. Nothing is drawn for users without dispatch.plan.read.
import { h } from '../js/ui.js';
import { clock, colour, tt } from './messages.js';

const EVERY_MS = 30_000;

/** Attach to a running console (web/console/index.js): its `map`, `cars`, `dirtyRows`, `refresh()`, `view`. */
export async function attach(liveConsole) {
  const { map, api } = liveConsole;
  let data;
  try { data = await api.get('/api/dispatch/plans'); } catch { return; }
  const head = liveConsole.view.querySelector('.console-head');
  head?.append(h('a', { href: '#/dispatch', class: 'console-plan-link', dataset: { planLink: '' } }, tt('plan.console_link')));
  map.addSource('plan-in-force', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'plan-in-force', type: 'line', source: 'plan-in-force',
    paint: { 'line-color': ['get', 'colour'], 'line-width': 2.5, 'line-opacity': 0.55, 'line-dasharray': [2, 1] } },
  map.getLayer('cars-selected') ? 'cars-selected' : undefined);
  let tasks = new Map();
  let shownPlan = null;

  async function update() {
    const plan = data?.in_force;
    if (plan && plan.id !== shownPlan) {
      shownPlan = plan.id;
      const geometry = await api.get(`/api/dispatch/plans/${plan.id}/geometry`).catch(() => null);
      for (const f of geometry?.features ?? []) f.properties.colour = colour(f.properties.vehicle_id);
      map.getSource('plan-in-force')?.setData(geometry ?? { type: 'FeatureCollection', features: [] });
    }
    const now = Date.now();
    tasks = new Map((plan?.routes ?? []).map(r => {
      const next = r.stops.find(s => Date.parse(s.start_at) >= now - 5 * 60_000);
      return [r.vehicle_id, next ? `${next.code.slice(-8)} ${tt(`plan.${next.kind}`)} ${clock(next.start_at)} ${next.address}` : null];
    }));
    for (const [id, car] of liveConsole.cars) {
      const task = tasks.get(id) ?? null;
      if (car.task !== task) { car.task = task; liveConsole.dirtyRows.add(id); }
    }
    liveConsole.refresh();
  }

  await update();
  const timer = setInterval(async () => {
    try { data = await api.get('/api/dispatch/plans'); await update(); } catch { /* the next round retries */ }
  }, EVERY_MS);
  map.on('remove', () => clearInterval(timer));
}
