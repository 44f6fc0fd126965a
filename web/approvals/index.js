// The approver's page (mobile first): the bookings waiting for my decision — first approvals of my units'
// trips, second approvals of trips beyond the city for senior approvers — each approved or rejected with a
// reason; below, my units' recent trips.
import { formatYuan, pick } from '../js/i18n.js';
import { h } from '../js/ui.js';
import { bookingCard, ensureStyles } from '../booking/index.js';
import { tt, when } from '../booking/messages.js';

export async function render(view, { api }) {
  await ensureStyles();
  const page = h('div', { class: 'booking-page approvals-page' });
  view.replaceChildren(page);
  await draw(page, api, null);
}

async function draw(page, api, notice) {
  const [pending, recent, catalog] = await Promise.all([
    api.get('/api/approvals/pending'),
    api.get('/api/bookings', { limit: 20 }),
    api.get('/api/bookings/catalog'),
  ]);
  const categories = Object.fromEntries(catalog.categories.map(c => [c.code, pick(c.name)]));
  const decide = async (booking, action, reasonEl, buttons) => {
    const reason = reasonEl.value.trim();
    buttons.forEach(b => { b.disabled = true; });
    try {
      await api.post(`/api/bookings/${booking.id}/${action}`, { reason: reason || null });
      await draw(page, api, tt(action === 'approve' ? 'approvals.approved' : 'approvals.rejected', { code: booking.code }));
    } catch (error) {
      buttons.forEach(b => { b.disabled = false; });
      reasonEl.setCustomValidity(error.message);
      reasonEl.reportValidity();
      reasonEl.addEventListener('input', () => reasonEl.setCustomValidity(''), { once: true });
    }
  };
  const card = (b) => {
    const reason = h('input', { name: 'reason', placeholder: tt('approvals.reason'), maxlength: 255 });
    const approve = h('button', { type: 'button', dataset: { action: 'approve' } }, tt('approvals.approve'));
    const reject = h('button', { type: 'button', class: 'secondary', dataset: { action: 'reject' } }, tt('approvals.reject'));
    approve.onclick = () => decide(b, 'approve', reason, [approve, reject]);
    reject.onclick = () => decide(b, 'reject', reason, [approve, reject]);
    return bookingCard(b, `#/approvals`,
      h('div', { class: 'small' },
        `${tt('approvals.requester')}: ${b.requester_name ?? ''} · ${b.unit_name ?? ''} · ${tt('approvals.passengers', { n: b.passengers })}`,
        ` · ${categories[b.category] ?? b.category} · ¥${formatYuan(b.estimated_cost)}`),
      b.pending_level === 2 ? h('div', { class: 'small beyond' }, tt('approvals.level2')) : '',
      h('div', { class: 'approval-actions' }, reason, approve, reject));
  };
  page.replaceChildren(
    h('h2', {}, tt('approvals.pending')),
    notice ? h('p', { class: 'notice', role: 'status', id: 'approval-notice' }, notice) : '',
    pending.length
      ? h('ul', { class: 'approval-list', id: 'pending' }, pending.map(card))
      : h('p', { class: 'muted', id: 'pending-empty' }, tt('approvals.none')),
    h('h2', {}, tt('approvals.recent')),
    h('ul', { class: 'booking-list', id: 'recent' }, recent.map(b => bookingCard(b, '#/approvals',
      h('div', { class: 'muted small' }, `${b.requester_name ?? ''} · ${when(b.created_at)}`)))));
}
