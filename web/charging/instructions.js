// "Charge car X at connector Y from 22:00": the drivers' list, reusable by any page (the driver page embeds it).
//   import { loadInstructions, instructionList } from '/static/charging/instructions.js';
//   view.append(instructionList(await loadInstructions(api, { vehicleId })));
import { h } from '../js/ui.js';
import { clock, dayClock, tt } from './messages.js';

/** The upcoming charging sessions of the cars the user sees (one car with vehicleId), soonest first. */
export function loadInstructions(api, { vehicleId } = {}) {
  return api.get('/api/charging/instructions', vehicleId ? { vehicle_id: vehicleId } : undefined);
}

/** One sentence per session. */
export function instructionText(item) {
  const params = {
    plate: item.plate, site: item.site, connector: item.connector,
    from: dayClock(item.start), until: clock(item.end), kwh: Math.round(item.kwh),
  };
  return tt(item.now ? 'instruction_now' : 'instruction', params);
}

export function instructionList(items) {
  if (!items.length) return h('p', { class: 'muted charging-none' }, tt('none'));
  return h('ul', { class: 'charging-instructions' },
    items.map(item => h('li', { class: item.now ? 'now' : undefined, dataset: { vehicle: item.vehicle_id } },
      instructionText(item))));
}
