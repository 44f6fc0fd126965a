// The cost pages' words, zh-CN and English.
import { getLocale } from '../js/i18n.js';

const WORDS = {
  'zh-CN': {
    title: '单车核算', month: '月份', all_cars: '全部车辆', plate: '车牌', category: '类别', km: '里程(km)',
    trips: '趟', cash: '运行费用', total: '全成本', cash_per_km: '每公里运行费用', cost_per_km: '每公里全成本',
    cost_per_trip: '每趟运行费用', cost_per_passenger_km: '每人公里运行费用', fuel_l_per_100km: '百公里油/电耗',
    kwh_per_100km: '百公里电耗', flags: '异常及原因', normal: '正常', closed: '已月结', sheet: '费用表',
    amount: '金额(元)', posted: '已列支', non_cash: '不列支（非付现）', quota: '月定额', figures: '绩效指标',
    this_car: '本车', peers: '同类中位数(辆)', pkm: '人公里', paid_by: '费用承担', unit: '单位', how: '列支方式',
    kind_trip: '按里程分摊', kind_direct: '行程直接费用', kind_owner: '月结余额', kind_fixed: '固定费用',
    kind_source: '充电记录', trip_list: '已结算行程', when: '时间', purpose: '事由', route: '路线', charged: '已列支',
    status: '状态', status_settled: '已结算', status_pending: '待结算', status_waiting: '拼车待完成',
    status_failed: '结算失败', replay: '轨迹回放', points: '个点', pooled: '拼车',
    publicity_xlsx: '公示表 xlsx', publicity_pdf: '公示表 PDF', evaluation_xlsx: '绩效评价 xlsx', evaluation_pdf: '绩效评价 PDF',
  },
  en: {
    title: 'Vehicle costs', month: 'Month', all_cars: 'All cars', plate: 'Plate', category: 'Category', km: 'km',
    trips: 'trips', cash: 'Running cost', total: 'Full cost', cash_per_km: 'Running cost / km', cost_per_km: 'Full cost / km',
    cost_per_trip: 'Running cost / trip', cost_per_passenger_km: 'Running cost / passenger-km',
    fuel_l_per_100km: 'Fuel or energy / 100 km', kwh_per_100km: 'kWh / 100 km', flags: 'Flags and reasons',
    normal: 'normal', closed: 'month closed', sheet: 'Cost sheet', amount: 'Amount', posted: 'Posted',
    non_cash: 'not posted (non-cash)', quota: 'monthly quota', figures: 'Figures', this_car: 'This car',
    peers: 'Peers’ median (cars)', pkm: 'passenger-km', paid_by: 'Who paid', unit: 'Unit', how: 'How',
    kind_trip: 'km share of trips', kind_direct: 'trips’ own costs', kind_owner: 'month’s remainder',
    kind_fixed: 'fixed costs', kind_source: 'charging', trip_list: 'Settled trips', when: 'When',
    purpose: 'Purpose', route: 'Route', charged: 'Charged', status: 'Status', status_settled: 'settled',
    status_pending: 'pending', status_waiting: 'pooled run not finished', status_failed: 'failed',
    replay: 'Track replay', points: 'points', pooled: 'pooled',
    publicity_xlsx: 'Publicity list xlsx', publicity_pdf: 'Publicity list PDF', evaluation_xlsx: 'Evaluation xlsx',
    evaluation_pdf: 'Evaluation PDF',
  },
};

export function ct(key) {
  const words = WORDS[getLocale()] ?? WORDS['zh-CN'];
  return words[key] ?? WORDS['zh-CN'][key] ?? key;
}
