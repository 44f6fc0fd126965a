// Terminals (车载终端) of the fleet: provision and bind to a car, reset a JT/T 808 registration, disable,
// and send a command (text, location query …) to a terminal with its answer.
import { t } from '../js/i18n.js';
import { h, showError, table } from '../js/ui.js';

function when(iso) { return iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : '—'; }

export async function render(view, { api, me }) {
  const manage = me.permissions.includes('telematics.terminal.manage');
  const command = me.permissions.includes('telematics.command.send');
  const list = h('div');
  const commands = h('div');
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const cars = manage ? await api.get('/api/fleet/vehicles') : [];

  async function load() {
    const terminals = await api.get('/api/telematics/terminals');
    list.replaceChildren(table([
      { label: t('fleet.plate'), value: x => h('strong', {}, x.plate ?? '') },
      { label: t('terminals.protocol'), value: x => t(`terminals.${x.protocol}`) },
      { label: t('terminals.identifier'), value: x => x.identifier },
      { label: t('terminals.registered'), value: x => (x.registered ? '✓' : '') },
      { label: t('terminals.online'), value: x => h('span', { class: `tag ${x.online ? 'ok' : ''}` }, x.online ? t('terminals.online') : t('console.state.offline')) },
      { label: t('terminals.disabled'), value: x => (x.disabled ? '✓' : '') },
      { label: '', value: x => h('span', {},
        command ? h('button', { type: 'button', class: 'link', onclick: () => showCommands(x) }, t('terminals.commands')) : '',
        manage ? h('button', { type: 'button', class: 'link', onclick: () => act(api.post(`/api/telematics/terminals/${x.id}/reset`, {})) }, t('terminals.reset')) : '',
        manage ? h('button', { type: 'button', class: 'link', onclick: () => act(api.patch(`/api/telematics/terminals/${x.id}`, { disabled: !x.disabled })) },
          x.disabled ? t('terminals.enable') : t('terminals.disable')) : '') },
    ], terminals, { rowAttrs: x => ({ dataset: { terminalId: x.id, identifier: x.identifier } }) }));
  }

  async function act(request) {
    error.hidden = true;
    try { await request; await load(); } catch (e) { error.textContent = e.message; error.hidden = false; }
  }

  async function showCommands(terminal) {
    const kind = h('select', { name: 'kind' }, ['text', 'location_query', 'query_params', 'gb_query'].map(k => h('option', { value: k }, t(`terminals.kind.${k}`))));
    const text = h('input', { name: 'text', placeholder: t('terminals.text') });
    const history = h('div');
    async function refresh() {
      const rows = await api.get(`/api/telematics/terminals/${terminal.id}/commands`);
      history.replaceChildren(table([
        { label: t('console.time'), value: c => when(c.created_at) },
        { label: t('terminals.kind'), value: c => t(`terminals.kind.${c.kind}`) },
        { label: t('terminals.status'), value: c => t(`terminals.status.${c.status}`) },
        { label: t('terminals.answer'), value: c => (c.answer ? JSON.stringify(c.answer) : '—') },
      ], rows));
    }
    const send = h('button', { type: 'button', onclick: async () => {
      try {
        await api.post(`/api/telematics/terminals/${terminal.id}/commands`, { kind: kind.value, args: kind.value === 'text' ? { text: text.value } : {} });
        await refresh();
        setTimeout(refresh, 2000);
      } catch (e) { showError(history, e); }
    } }, t('terminals.send'));
    commands.replaceChildren(h('h3', {}, `${terminal.plate} · ${terminal.identifier}`), h('div', { class: 'toolbar' }, kind, text, send), history);
    await refresh();
  }

  const form = manage ? (() => {
    const protocol = h('select', { name: 'protocol' }, ['jt808', 'gb32960', 'nmea'].map(p => h('option', { value: p }, t(`terminals.${p}`))));
    const identifier = h('input', { name: 'identifier', required: true });
    const car = h('select', { name: 'vehicle' }, cars.map(c => h('option', { value: c.id }, c.plate)));
    return h('form', { class: 'terminals-form', onsubmit: async (event) => {
      event.preventDefault();
      await act(api.post('/api/telematics/terminals', { protocol: protocol.value, identifier: identifier.value, vehicle_id: Number(car.value) }));
      identifier.value = '';
    } },
    h('label', {}, t('terminals.protocol'), protocol), h('label', {}, t('terminals.identifier'), identifier),
    h('label', {}, t('fleet.plate'), car), h('button', { type: 'submit' }, t('terminals.add')));
  })() : '';
  await load();
  view.replaceChildren(h('h2', {}, t('terminals.title')), form, error, list, commands);
}
