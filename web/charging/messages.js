// The charging pages' words, zh-CN and English (the shell's locale decides).
import { getLocale } from '../js/i18n.js';

const WORDS = {
  'zh-CN': {
    title: '充电计划', site: '充电场站', replan: '立即重新计划', replanning: '正在计划…',
    planned_at: '计划于 {at}（{trigger}）', no_plan: '尚无充电计划', cap: '功率上限 {kw} kW',
    cost: '电费 {yuan} 元', peak: '峰值 {kw} kW', moves: '插拔 {n} 次', unserved: '无法保障的行程',
    all_served: '所有已派行程出发前都能充足电', load: '场站功率', connectors: '充电枪 × 时间',
    instructions: '充电指引', instruction: '{plate} 于 {from} 在 {site} {connector} 充电，约 {kwh} kWh',
    instruction_now: '{plate} 正在 {site} {connector} 充电，至 {until}', none: '暂无充电安排',
    valley: '低谷', flat: '平段', peak_band: '高峰', sharp: '尖峰', soc_assumed: 'SOC 未知（按 30% 计划）',
    trigger_timer: '定时', trigger_change: '预约或电量变化', 'trigger_on demand': '手动', trigger_start: '启动',
  },
  en: {
    title: 'Charging plan', site: 'Charging site', replan: 'Re-plan now', replanning: 'Planning…',
    planned_at: 'Planned at {at} ({trigger})', no_plan: 'No charging plan yet', cap: 'cap {kw} kW',
    cost: 'energy {yuan} yuan', peak: 'peak {kw} kW', moves: '{n} plug-ins', unserved: 'Trips that cannot be served',
    all_served: 'Every assigned trip leaves with enough charge', load: 'Site power', connectors: 'Connectors × time',
    instructions: 'Charging instructions', instruction: 'Charge {plate} at {site} {connector} from {from}, about {kwh} kWh',
    instruction_now: '{plate} is charging at {site} {connector} until {until}', none: 'Nothing to charge',
    valley: 'valley', flat: 'flat', peak_band: 'peak', sharp: 'sharp peak', soc_assumed: 'SOC unknown (planned as 30 %)',
    trigger_timer: 'timer', trigger_change: 'booking or charge changed', 'trigger_on demand': 'on demand', trigger_start: 'start',
  },
};

export function tt(key, params = {}) {
  const words = WORDS[getLocale()] ?? WORDS['zh-CN'];
  const text = words[key] ?? WORDS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** HH:MM in Beijing time (the bureau's wall clock), whatever the browser's zone. */
export function clock(iso) {
  return new Date(iso).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });
}

export function dayClock(iso) {
  const d = new Date(iso);
  const day = d.toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit' });
  return `${day} ${clock(iso)}`;
}
