// The supervision and cost pages' words, zh-CN and English (the shell's locale decides).
import { getLocale } from '../js/i18n.js';

const WORDS = {
  'zh-CN': {
    title: '用车监督', dashboard: '概览', queue: '疑点队列', year: '年度', month: '月份',
    by_month: '各月疑点', by_rule: '按规则', by_unit: '按单位', cost_by_unit: '各单位本月车辆费用（元）',
    findings: '疑点', open: '待核查', confirmed: '已确认违规', explained: '已说明', dismissed: '已排除',
    all: '全部', rule: '规则', plate: '车牌', unit: '单位', when: '时间', status: '状态', summary: '摘要',
    severity: '级别', info: '提示', warning: '警告', critical: '严重', evidence: '证据', numbers: '数据',
    places: '地点', decision: '核查结论', reason: '核查意见', save: '提交', decided: '{who} 于 {at} 核定',
    back: '返回队列', none: '没有疑点', last_nightly: '最近夜间审计：{day}', run: '立即审计昨天',
    running: '审计中…', ran: '已审计 {day}：{n} 条新疑点', map: '轨迹与地点', points: '{n} 个轨迹点',
    role_start: '出发', role_end: '到达', role_pickup: '上车点', role_dropoff: '目的地', role_stop: '停留点',
    role_station: '加油站', role_car: '车辆位置', role_night: '当晚停放', role_usual_night: '常驻停放地',
    booking: '用车申请', trip: '行程',
  },
  en: {
    title: 'Supervision', dashboard: 'Overview', queue: 'Finding queue', year: 'Year', month: 'Month',
    by_month: 'Findings by month', by_rule: 'By rule', by_unit: 'By unit', cost_by_unit: 'Car costs by unit this month (yuan)',
    findings: 'Findings', open: 'Open', confirmed: 'Confirmed', explained: 'Explained', dismissed: 'Dismissed',
    all: 'All', rule: 'Rule', plate: 'Plate', unit: 'Unit', when: 'When', status: 'Status', summary: 'Summary',
    severity: 'Severity', info: 'info', warning: 'warning', critical: 'critical', evidence: 'Evidence',
    numbers: 'Numbers', places: 'Places', decision: 'Decision', reason: 'Reason', save: 'Submit',
    decided: 'decided by {who} at {at}', back: 'Back to the queue', none: 'No findings',
    last_nightly: 'Last nightly audit: {day}', run: 'Audit yesterday now', running: 'Auditing…',
    ran: 'Audited {day}: {n} new findings', map: 'Track and places', points: '{n} track points',
    role_start: 'start', role_end: 'end', role_pickup: 'pick-up', role_dropoff: 'destination', role_stop: 'stop',
    role_station: 'station', role_car: 'the car', role_night: 'that night', role_usual_night: 'usual night place',
    booking: 'Booking', trip: 'Trip',
  },
};

export function st(key, params = {}) {
  const words = WORDS[getLocale()] ?? WORDS['zh-CN'];
  const text = words[key] ?? WORDS['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

export function when(iso) {
  return new Date(iso).toLocaleString(getLocale() === 'en' ? 'en-GB' : 'zh-CN', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** The last `n` months as YYYY-MM, newest first. */
export function recentMonths(n = 12) {
  const now = new Date();
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(now.getFullYear(), now.getMonth() - i, 1);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
  });
}
