// Messages of the dispatcher's plan page and the driver's page, zh-CN (default) and English; `tt` follows the
// shell's locale switch (web/js/i18n.js).
import { getLocale } from '../js/i18n.js';

const MESSAGES = {
  'zh-CN': {
    'plan.title': '调度方案', 'plan.run': '运行优化', 'plan.running': '优化中…', 'plan.accept': '接受方案',
    'plan.accepting': '执行中…', 'plan.proposal': '待确认方案', 'plan.in_force': '执行中方案', 'plan.none': '还没有调度方案',
    'plan.made': '{at} 生成（{trigger}）', 'plan.summary': '{cars} 辆车 · 服务 {served} 单 · 未派 {unserved} 单 · 约 {km} 公里',
    'plan.changes': '接受后：新派 {assign} · 改派 {reassign} · 撤回 {unassign} · 不变 {keep}',
    'plan.unchanged': '方案无变化', 'plan.accepted': '方案已执行', 'plan.verified': '已通过可行性校验',
    'plan.trigger.timer': '定时', 'plan.trigger.change': '订单变化', 'plan.trigger.demand': '手动', 'plan.trigger.override': '人工指定',
    'plan.trigger.demo': '演示',
    'plan.cars': '车辆与路线', 'plan.timeline': '时间线', 'plan.unserved': '未派单', 'plan.all_served': '全部已派',
    'plan.overrides': '人工指定', 'plan.no_overrides': '没有人工指定', 'plan.remove': '取消指定',
    'plan.pin': '指定车辆', 'plan.hold': '暂不派车', 'plan.pick_car': '选择车辆…', 'plan.pick_driver': '驾驶员（可不选）',
    'plan.save_pin': '指定', 'plan.note': '说明（可不填）', 'plan.from_depot': '从车场出发', 'plan.from_live': '从当前位置出发',
    'plan.pickup': '上车', 'plan.dropoff': '下车', 'plan.locked': '已锁定', 'plan.change.new': '新派', 'plan.change.moved': '改派',
    'plan.change.same': '', 'plan.change.aboard': '行程中', 'plan.was': '原 {plate}', 'plan.readiness': '电量就绪 {pct}%',
    'plan.view_proposal': '看待确认方案', 'plan.view_in_force': '看执行中方案', 'plan.console_link': '调度方案',
    'plan.pax': '{n} 人', 'plan.window': '{a}–{b}',
  },
  en: {
    'plan.title': 'Dispatch plan', 'plan.run': 'Run optimizer', 'plan.running': 'Planning…', 'plan.accept': 'Accept plan',
    'plan.accepting': 'Applying…', 'plan.proposal': 'Proposal', 'plan.in_force': 'Plan in force', 'plan.none': 'No plan yet',
    'plan.made': 'made {at} ({trigger})', 'plan.summary': '{cars} cars · {served} served · {unserved} unassigned · about {km} km',
    'plan.changes': 'Accepting: {assign} new · {reassign} moved · {unassign} taken back · {keep} kept',
    'plan.unchanged': 'Nothing would change', 'plan.accepted': 'Plan in force', 'plan.verified': 'feasibility checked',
    'plan.trigger.timer': 'timer', 'plan.trigger.change': 'bookings changed', 'plan.trigger.demand': 'on demand',
    'plan.trigger.override': 'override', 'plan.trigger.demo': 'demo',
    'plan.cars': 'Cars and routes', 'plan.timeline': 'Timeline', 'plan.unserved': 'Unassigned', 'plan.all_served': 'Every booking has a car',
    'plan.overrides': 'Overrides', 'plan.no_overrides': 'No overrides', 'plan.remove': 'Remove',
    'plan.pin': 'Pin to a car', 'plan.hold': 'Keep unassigned', 'plan.pick_car': 'Choose a car…', 'plan.pick_driver': 'Driver (optional)',
    'plan.save_pin': 'Pin', 'plan.note': 'Note (optional)', 'plan.from_depot': 'from the depot', 'plan.from_live': 'from where it is',
    'plan.pickup': 'pick up', 'plan.dropoff': 'drop off', 'plan.locked': 'locked', 'plan.change.new': 'new', 'plan.change.moved': 'moved',
    'plan.change.same': '', 'plan.change.aboard': 'aboard', 'plan.was': 'was {plate}', 'plan.readiness': 'charge ready {pct}%',
    'plan.view_proposal': 'Show the proposal', 'plan.view_in_force': 'Show the plan in force', 'plan.console_link': 'Dispatch plan',
    'plan.pax': '{n} pax', 'plan.window': '{a}–{b}',
  },
};

export function tt(key, params = {}) {
  const text = MESSAGES[getLocale()]?.[key] ?? MESSAGES['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** A {zh, en} pair from the API in the page's locale. */
export function named(pair, fallback = '') {
  if (!pair) return fallback;
  return (getLocale() === 'en' ? pair.en : pair.zh) ?? fallback;
}

/** Local wall-clock time of an ISO instant (HH:mm, or MM-DD HH:mm). */
export function clock(iso, withDate = false) {
  if (!iso) return '—';
  const options = withDate
    ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }
    : { hour: '2-digit', minute: '2-digit', hour12: false };
  return new Date(iso).toLocaleString(getLocale() === 'en' ? 'en-GB' : 'zh-CN', options);
}

/** A colour per car (stable by vehicle id). */
export function colour(vehicleId) {
  const palette = ['#1e5aa8', '#b4232a', '#15803d', '#7c3aed', '#c2410c', '#0e7490', '#a21caf', '#4d7c0f', '#be185d', '#1d4ed8'];
  return palette[Math.abs(Number(vehicleId)) % palette.length];
}
