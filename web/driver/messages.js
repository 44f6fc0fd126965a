// Messages of the driver's page, zh-CN (default) and English; `tt` follows the shell's locale switch.
import { getLocale } from '../js/i18n.js';

const MESSAGES = {
  'zh-CN': {
    'drv.tasks': '今日任务', 'drv.expenses': '费用登记', 'drv.none': '今天没有任务', 'drv.car': '车辆 {plate}',
    'drv.action.accept': '接单', 'drv.action.arrive': '到达上车点', 'drv.action.board': '乘客上车',
    'drv.action.dropoff': '乘客下车', 'drv.action.finish': '完成行程',
    'drv.code': '乘客核验码', 'drv.code_hint': '请乘客出示4位核验码', 'drv.odometer': '里程表读数 (km)',
    'drv.nav_pickup': '导航到上车点', 'drv.nav_dropoff': '导航到目的地', 'drv.amap': '高德地图',
    'drv.passengers': '{n} 人', 'drv.planned': '计划 {a} 上车 · {b} 送达', 'drv.window': '时间窗 {a}–{b}',
    'drv.call': '联系乘客', 'drv.done': '已完成', 'drv.km': '实际 {km} 公里', 'drv.trip': '关联行车记录 #{id}',
    'drv.pooled': '拼车', 'drv.stops': '停靠顺序', 'drv.refresh': '刷新', 'drv.not_driver': '您的账号未关联驾驶员',
    'exp.kind': '类别', 'exp.amount': '金额（元）', 'exp.litres': '加油量（升）', 'exp.kwh': '充电量（kWh）',
    'exp.odometer': '里程表读数 (km)', 'exp.place': '地点', 'exp.note': '备注', 'exp.photo': '票据照片',
    'exp.submit': '提交', 'exp.saved': '已登记 ¥{amount}', 'exp.recent': '最近登记', 'exp.none': '还没有费用登记',
    'exp.receipt': '票据', 'exp.car': '车辆',
  },
  en: {
    'drv.tasks': "Today's tasks", 'drv.expenses': 'Expenses', 'drv.none': 'No tasks today', 'drv.car': 'Car {plate}',
    'drv.action.accept': 'Accept', 'drv.action.arrive': 'At the pick-up', 'drv.action.board': 'Rider on board',
    'drv.action.dropoff': 'Rider dropped off', 'drv.action.finish': 'Finish trip',
    'drv.code': 'Check-in code', 'drv.code_hint': "The rider's 4-character code", 'drv.odometer': 'Odometer (km)',
    'drv.nav_pickup': 'Navigate to pick-up', 'drv.nav_dropoff': 'Navigate to drop-off', 'drv.amap': 'Amap',
    'drv.passengers': '{n} pax', 'drv.planned': 'pick up {a} · arrive {b}', 'drv.window': 'window {a}–{b}',
    'drv.call': 'Call the rider', 'drv.done': 'Done', 'drv.km': '{km} km driven', 'drv.trip': 'telematics trip #{id}',
    'drv.pooled': 'pooled', 'drv.stops': 'Stops in order', 'drv.refresh': 'Refresh', 'drv.not_driver': 'No driver is linked to your login',
    'exp.kind': 'Kind', 'exp.amount': 'Amount (yuan)', 'exp.litres': 'Litres', 'exp.kwh': 'kWh',
    'exp.odometer': 'Odometer (km)', 'exp.place': 'Place', 'exp.note': 'Note', 'exp.photo': 'Receipt photo',
    'exp.submit': 'Submit', 'exp.saved': 'Recorded ¥{amount}', 'exp.recent': 'Recent entries', 'exp.none': 'No expenses yet',
    'exp.receipt': 'receipt', 'exp.car': 'Car',
  },
};

export function tt(key, params = {}) {
  const text = MESSAGES[getLocale()]?.[key] ?? MESSAGES['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

export function named(pair, fallback = '') {
  if (!pair) return fallback;
  return (getLocale() === 'en' ? pair.en : pair.zh) ?? fallback;
}

export function clock(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(getLocale() === 'en' ? 'en-GB' : 'zh-CN', { hour: '2-digit', minute: '2-digit', hour12: false });
}
