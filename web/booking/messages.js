// Messages of the booking and approval pages, in zh-CN (default) and English; `tt(key, params)` picks the
// shell's current locale (web/js/i18n.js) so the locale switch applies here too.
import { getLocale } from '../js/i18n.js';

const MESSAGES = {
  'zh-CN': {
    'booking.title': '用车申请', 'booking.new': '申请用车', 'booking.mine': '我的行程', 'booking.inbox': '通知',
    'booking.purpose': '事由', 'booking.purpose_hint': '例如：赴市政府参加会议',
    'booking.passengers': '乘车人数', 'booking.names': '乘车人（以逗号分隔，可不填）',
    'booking.from': '上车地点', 'booking.to': '下车地点', 'booking.pick_place': '选择常用地点…',
    'booking.pick_on_map': '在地图上选点', 'booking.picking': '请在地图上点击{what}',
    'booking.earliest': '最早上车时间', 'booking.latest': '最晚到达时间', 'booking.category': '车辆类别',
    'booking.poolable': '同意拼车（与同路人员共乘）', 'booking.confidential': '机要通信（不拼车，机要车辆）',
    'booking.leader': '领导定向化保障（不拼车）', 'booking.contact': '联系电话', 'booking.note': '给驾驶员的备注',
    'booking.submit': '提交申请', 'booking.submitting': '提交中…', 'booking.estimate': '约 {km} 公里，{min} 分钟，预估费用 ¥{cost}',
    'booking.beyond_city': '出市行程，需上级领导审批', 'booking.no_map': '地图未导入：请从常用地点中选择',
    'booking.none': '还没有用车申请', 'booking.back': '返回', 'booking.cancel': '取消申请',
    'booking.cancel_reason': '取消原因（可不填）', 'booking.cancelled_ok': '已取消',
    'booking.status': '状态', 'booking.code': '单号', 'booking.when': '时间', 'booking.route': '行程',
    'booking.car': '车辆', 'booking.driver': '驾驶员', 'booking.checkin': '乘车码', 'booking.eta': '预计到达',
    'booking.eta_pickup': '车辆约 {min} 分钟后到达上车点（{at}）', 'booking.eta_dropoff': '约 {min} 分钟后到达目的地（{at}）',
    'booking.timeline': '进度', 'booking.approvals': '审批', 'booking.cost': '预估费用', 'booking.km': '预估里程',
    'booking.level': '第{n}级审批', 'booking.pooled': '可拼车', 'booking.not_pooled': '不拼车',
    'booking.mark_read': '全部已读', 'booking.no_inbox': '没有通知', 'booking.refresh': '刷新',
    'event.submitted': '提交申请', 'event.approved_level': '单位审批通过', 'event.approved': '审批通过',
    'event.rejected': '驳回', 'event.cancelled': '取消', 'event.assigned': '派车', 'event.reassigned': '改派',
    'event.unassigned': '撤回派车', 'event.in_progress': '行程开始', 'event.completed': '行程完成',
    'approvals.title': '用车审批', 'approvals.pending': '待我审批', 'approvals.none': '没有待审批的申请',
    'approvals.approve': '批准', 'approvals.reject': '驳回', 'approvals.reason': '审批意见（驳回时必填）',
    'approvals.approved': '已批准 {code}', 'approvals.rejected': '已驳回 {code}', 'approvals.requester': '申请人',
    'approvals.recent': '本单位近期行程', 'approvals.level2': '出市 · 第二级审批', 'approvals.passengers': '{n} 人',
  },
  en: {
    'booking.title': 'Book a car', 'booking.new': 'New booking', 'booking.mine': 'My trips', 'booking.inbox': 'Notifications',
    'booking.purpose': 'Purpose', 'booking.purpose_hint': 'e.g. a meeting at City Hall',
    'booking.passengers': 'Passengers', 'booking.names': 'Names (comma-separated, optional)',
    'booking.from': 'Pick-up', 'booking.to': 'Drop-off', 'booking.pick_place': 'Frequent places…',
    'booking.pick_on_map': 'Pick on the map', 'booking.picking': 'Tap the map to set the {what}',
    'booking.earliest': 'Earliest pick-up', 'booking.latest': 'Latest arrival', 'booking.category': 'Car category',
    'booking.poolable': 'May share the car (pooling)', 'booking.confidential': 'Confidential (never pooled, confidential car)',
    'booking.leader': "Leader's trip (never pooled)", 'booking.contact': 'Contact phone', 'booking.note': 'Note for the driver',
    'booking.submit': 'Submit', 'booking.submitting': 'Submitting…', 'booking.estimate': 'About {km} km, {min} min, estimated ¥{cost}',
    'booking.beyond_city': 'Beyond the city: a senior approval follows', 'booking.no_map': 'No map imported: choose frequent places',
    'booking.none': 'No bookings yet', 'booking.back': 'Back', 'booking.cancel': 'Cancel booking',
    'booking.cancel_reason': 'Reason (optional)', 'booking.cancelled_ok': 'Cancelled',
    'booking.status': 'Status', 'booking.code': 'Booking', 'booking.when': 'When', 'booking.route': 'Route',
    'booking.car': 'Car', 'booking.driver': 'Driver', 'booking.checkin': 'Check-in code', 'booking.eta': 'ETA',
    'booking.eta_pickup': 'The car reaches the pick-up in about {min} min ({at})', 'booking.eta_dropoff': 'Arrival in about {min} min ({at})',
    'booking.timeline': 'Progress', 'booking.approvals': 'Approvals', 'booking.cost': 'Estimated cost', 'booking.km': 'Estimated km',
    'booking.level': 'Level {n}', 'booking.pooled': 'may pool', 'booking.not_pooled': 'not pooled',
    'booking.mark_read': 'Mark all read', 'booking.no_inbox': 'No notifications', 'booking.refresh': 'Refresh',
    'event.submitted': 'Submitted', 'event.approved_level': "Unit's approval", 'event.approved': 'Approved',
    'event.rejected': 'Rejected', 'event.cancelled': 'Cancelled', 'event.assigned': 'Car assigned', 'event.reassigned': 'Car changed',
    'event.unassigned': 'Car withdrawn', 'event.in_progress': 'Trip started', 'event.completed': 'Trip completed',
    'approvals.title': 'Approvals', 'approvals.pending': 'Waiting for me', 'approvals.none': 'Nothing waiting for approval',
    'approvals.approve': 'Approve', 'approvals.reject': 'Reject', 'approvals.reason': 'Comment (required to reject)',
    'approvals.approved': 'Approved {code}', 'approvals.rejected': 'Rejected {code}', 'approvals.requester': 'Requester',
    'approvals.recent': "My units' recent trips", 'approvals.level2': 'Beyond the city · level 2', 'approvals.passengers': '{n} pax',
  },
};

export function tt(key, params = {}) {
  const text = MESSAGES[getLocale()]?.[key] ?? MESSAGES['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** Local wall-clock time of an ISO instant, short (MM-DD HH:mm) in the page's locale. */
export function when(iso, withDate = true) {
  if (!iso) return '—';
  const options = withDate
    ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }
    : { hour: '2-digit', minute: '2-digit', hour12: false };
  return new Date(iso).toLocaleString(getLocale() === 'en' ? 'en-GB' : 'zh-CN', options);
}

/** The status label of a booking from the API ({zh, en}). */
export function statusName(booking) {
  const names = booking.status_name ?? {};
  return (getLocale() === 'en' ? names.en : names.zh) ?? booking.status;
}

export const STATUS_TONE = {
  submitted: 'warn', approved: 'ok', assigned: 'ok', in_progress: 'ok', completed: '', rejected: 'bad', cancelled: '',
};
