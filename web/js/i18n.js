// Messages in zh-CN (default) and English. Elements with data-i18n="key" are translated in place.
const MESSAGES = {
  'zh-CN': {
    'app.title': '公务用车与机关事务平台', 'app.subtitle': '机关事务管理局', 'app.brand': '公务',
    'locale.other': 'English',
    'login.username': '用户名', 'login.password': '密码', 'login.submit': '登录', 'login.logout': '退出',
    'login.failed': '登录失败',
    'nav.home': '概览', 'nav.fleet': '车辆', 'nav.budget': '预算', 'nav.org': '组织与用户', 'nav.audit': '审计',
    'home.welcome': '欢迎', 'home.vehicles': '公务用车', 'home.new_energy': '新能源车', 'home.units': '单位',
    'home.budget': '公务用车运行维护费执行率',
    'fleet.title': '公务用车', 'fleet.search': '按车牌搜索', 'fleet.plate': '车牌', 'fleet.model': '车型',
    'fleet.category': '类别', 'fleet.energy': '能源', 'fleet.seats': '座位', 'fleet.unit': '所属单位',
    'fleet.status': '状态', 'fleet.odometer': '里程 (km)', 'fleet.dedicated': '定向化保障',
    'fleet.quota': '编制', 'fleet.allowed': '编制数', 'fleet.used': '实有数',
    'fleet.add': '登记车辆', 'fleet.vin': '车架号 (VIN)', 'fleet.battery': '电池容量 (kWh)', 'fleet.save': '登记',
    'fleet.added': '已登记 {plate}',
    'budget.title': '预算执行', 'budget.year': '年度', 'budget.class': '经济分类', 'budget.amount': '预算',
    'budget.reserved': '预留', 'budget.charged': '已支出', 'budget.available': '可用', 'budget.rate': '执行率',
    'budget.sangong': '三公经费', 'budget.official_cars': '公务用车购置及运行', 'budget.reception': '公务接待',
    'budget.travel_abroad': '因公出国(境)', 'budget.total': '合计',
    'org.title': '组织与用户', 'org.units': '组织机构', 'org.users': '用户', 'org.name': '姓名',
    'org.username': '用户名', 'org.rank': '职级', 'org.roles': '角色', 'org.disabled': '已停用',
    'audit.title': '审计链', 'audit.verify': '校验审计链', 'audit.intact': '审计链完整，已校验 {n} 条记录',
    'audit.broken': '审计链在第 {id} 条记录处断裂：{reason}', 'audit.at': '时间', 'audit.actor': '操作人',
    'audit.action': '操作', 'audit.entity': '对象', 'audit.change': '变更',
    'common.unit': '单位', 'common.loading': '加载中…', 'common.none': '无数据', 'common.error': '出错了',
    'nav.console': '调度地图', 'nav.terminals': '车载终端',
    'nav.booking': '用车', 'nav.approvals': '审批', 'nav.charging': '充电计划',
    'nav.dispatch': '调度方案', 'nav.driver': '司机任务',
    'nav.supervision': '用车监督', 'nav.costs': '单车核算',
    'console.title': '实时车辆', 'console.search': '按车牌搜索', 'console.alarms': '报警',
    'console.state': '状态', 'console.speed': '速度', 'console.soc': '电量 SOC', 'console.fuel': '油量',
    'console.driver': '驾驶员', 'console.task': '当前任务', 'console.odometer': '里程', 'console.time': '时间',
    'console.state.moving': '行驶', 'console.state.idle': '怠速', 'console.state.off': '熄火',
    'console.state.offline': '离线', 'console.state.alarm': '报警',
    'console.link.open': '实时', 'console.link.closed': '重连中…', 'console.link.error': '连接被拒绝',
    'console.ack': '确认', 'console.ack_note': '处理说明', 'console.acked_by': '{who} 于 {at} 确认',
    'console.cleared': '已解除', 'console.replay': '轨迹回放', 'console.load_track': '查询轨迹',
    'console.play': '播放', 'console.pause': '暂停', 'console.points': '{n} 个点', 'console.no_trips': '该时段无行程',
    'alarm.overspeed': '超速', 'alarm.outside_hours': '非工作时间用车', 'alarm.sealed_use': '封存期用车',
    'alarm.area_exit': '驶出审批区域', 'alarm.power_cut': '终端主电源断电', 'alarm.tamper': '非法移动/拆装',
    'alarm.sos': '紧急报警', 'alarm.collision': '碰撞/侧翻', 'alarm.low_soc': 'SOC 过低', 'alarm.battery': '动力电池故障',
    'alarm.offline': '终端离线',
    'terminals.title': '车载终端', 'terminals.protocol': '协议', 'terminals.identifier': '终端号 / VIN',
    'terminals.jt808': 'JT/T 808', 'terminals.gb32960': 'GB/T 32960', 'terminals.nmea': 'NMEA',
    'terminals.registered': '已注册', 'terminals.online': '在线', 'terminals.disabled': '已停用',
    'terminals.commands': '指令', 'terminals.reset': '重置注册', 'terminals.disable': '停用', 'terminals.enable': '启用',
    'terminals.add': '添加终端', 'terminals.send': '下发', 'terminals.text': '文本内容', 'terminals.kind': '指令',
    'terminals.status': '状态', 'terminals.answer': '终端应答',
    'terminals.kind.text': '文本信息下发', 'terminals.kind.location_query': '位置查询',
    'terminals.kind.set_params': '设置参数', 'terminals.kind.query_params': '查询参数',
    'terminals.kind.geofence_push': '下发区域', 'terminals.kind.geofence_delete': '删除区域',
    'terminals.kind.gb_query': '参数查询 (GB/T 32960)',
    'terminals.status.queued': '排队', 'terminals.status.sent': '已发送', 'terminals.status.answered': '已应答',
    'terminals.status.failed': '失败', 'terminals.status.timeout': '超时',
  },
  en: {
    'app.title': 'Official Cars & Bureau Services', 'app.subtitle': 'Offices Administration Bureau',
    'app.brand': 'Gongwu', 'locale.other': '中文',
    'login.username': 'Username', 'login.password': 'Password', 'login.submit': 'Log in', 'login.logout': 'Log out',
    'login.failed': 'Login failed',
    'nav.home': 'Overview', 'nav.fleet': 'Fleet', 'nav.budget': 'Budget', 'nav.org': 'People & units',
    'nav.audit': 'Audit',
    'home.welcome': 'Welcome', 'home.vehicles': 'Official cars', 'home.new_energy': 'New-energy cars',
    'home.units': 'Units', 'home.budget': 'Car running budget executed',
    'fleet.title': 'Official cars', 'fleet.search': 'Search by plate', 'fleet.plate': 'Plate', 'fleet.model': 'Model',
    'fleet.category': 'Category', 'fleet.energy': 'Energy', 'fleet.seats': 'Seats', 'fleet.unit': 'Unit',
    'fleet.status': 'Status', 'fleet.odometer': 'Odometer (km)', 'fleet.dedicated': 'Leader car',
    'fleet.quota': 'Quota', 'fleet.allowed': 'Allowed', 'fleet.used': 'Held',
    'fleet.add': 'Register a car', 'fleet.vin': 'VIN', 'fleet.battery': 'Battery (kWh)', 'fleet.save': 'Register',
    'fleet.added': '{plate} registered',
    'budget.title': 'Budget execution', 'budget.year': 'Year', 'budget.class': 'Economic class',
    'budget.amount': 'Budget', 'budget.reserved': 'Reserved', 'budget.charged': 'Spent',
    'budget.available': 'Available', 'budget.rate': 'Executed', 'budget.sangong': 'Three public expenses',
    'budget.official_cars': 'Official cars', 'budget.reception': 'Reception', 'budget.travel_abroad': 'Travel abroad',
    'budget.total': 'Total',
    'org.title': 'People & units', 'org.units': 'Org units', 'org.users': 'Users', 'org.name': 'Name',
    'org.username': 'Username', 'org.rank': 'Rank', 'org.roles': 'Roles', 'org.disabled': 'disabled',
    'audit.title': 'Audit chain', 'audit.verify': 'Verify the chain', 'audit.intact': 'Chain intact: {n} records verified',
    'audit.broken': 'Chain broken at record {id}: {reason}', 'audit.at': 'When', 'audit.actor': 'Who',
    'audit.action': 'Action', 'audit.entity': 'Record', 'audit.change': 'Change',
    'common.unit': 'Unit', 'common.loading': 'Loading…', 'common.none': 'Nothing here', 'common.error': 'Error',
    'nav.console': 'Live map', 'nav.terminals': 'Terminals',
    'nav.booking': 'Book a car', 'nav.approvals': 'Approvals', 'nav.charging': 'Charging',
    'nav.dispatch': 'Dispatch plan', 'nav.driver': 'My tasks',
    'nav.supervision': 'Supervision', 'nav.costs': 'Vehicle costs',
    'console.title': 'Live cars', 'console.search': 'Search by plate', 'console.alarms': 'Alarms',
    'console.state': 'State', 'console.speed': 'Speed', 'console.soc': 'SOC', 'console.fuel': 'Fuel',
    'console.driver': 'Driver', 'console.task': 'Current task', 'console.odometer': 'Odometer', 'console.time': 'Time',
    'console.state.moving': 'Moving', 'console.state.idle': 'Idle', 'console.state.off': 'Off',
    'console.state.offline': 'Offline', 'console.state.alarm': 'Alarm',
    'console.link.open': 'live', 'console.link.closed': 'reconnecting…', 'console.link.error': 'refused',
    'console.ack': 'Acknowledge', 'console.ack_note': 'Note', 'console.acked_by': 'acknowledged by {who} at {at}',
    'console.cleared': 'cleared', 'console.replay': 'Track replay', 'console.load_track': 'Show track',
    'console.play': 'Play', 'console.pause': 'Pause', 'console.points': '{n} points', 'console.no_trips': 'No trips in this range',
    'alarm.overspeed': 'Overspeed', 'alarm.outside_hours': 'Use outside working hours', 'alarm.sealed_use': 'Use while sealed',
    'alarm.area_exit': 'Left the approved area', 'alarm.power_cut': 'Terminal power cut', 'alarm.tamper': 'Tampering / illegal movement',
    'alarm.sos': 'SOS', 'alarm.collision': 'Collision / rollover', 'alarm.low_soc': 'Low SOC', 'alarm.battery': 'Traction battery fault',
    'alarm.offline': 'Terminal offline',
    'terminals.title': 'In-car terminals', 'terminals.protocol': 'Protocol', 'terminals.identifier': 'Terminal no. / VIN',
    'terminals.jt808': 'JT/T 808', 'terminals.gb32960': 'GB/T 32960', 'terminals.nmea': 'NMEA',
    'terminals.registered': 'Registered', 'terminals.online': 'Online', 'terminals.disabled': 'Disabled',
    'terminals.commands': 'Commands', 'terminals.reset': 'Reset registration', 'terminals.disable': 'Disable',
    'terminals.enable': 'Enable', 'terminals.add': 'Add terminal', 'terminals.send': 'Send', 'terminals.text': 'Text',
    'terminals.kind': 'Command', 'terminals.status': 'Status', 'terminals.answer': 'Answer',
    'terminals.kind.text': 'Text message', 'terminals.kind.location_query': 'Location query',
    'terminals.kind.set_params': 'Set parameters', 'terminals.kind.query_params': 'Query parameters',
    'terminals.kind.geofence_push': 'Push area', 'terminals.kind.geofence_delete': 'Delete area',
    'terminals.kind.gb_query': 'Query (GB/T 32960)',
    'terminals.status.queued': 'queued', 'terminals.status.sent': 'sent', 'terminals.status.answered': 'answered',
    'terminals.status.failed': 'failed', 'terminals.status.timeout': 'timed out',
  },
};

const STORE = 'gongwu.locale';
let locale = localStorage.getItem(STORE) || 'zh-CN';

export function getLocale() { return locale; }

export function t(key, params = {}) {
  const text = MESSAGES[locale][key] ?? MESSAGES['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** Pick the label of a {zh, en} pair or a [zh, en] tuple from the API. */
export function pick(pair) {
  if (Array.isArray(pair)) return locale === 'en' ? pair[1] : pair[0];
  if (pair && typeof pair === 'object') return locale === 'en' ? pair.en : pair.zh;
  return pair;
}

export function translate(root = document) {
  document.documentElement.lang = locale;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-locale-toggle]')) el.textContent = t('locale.other');
}

export function toggleLocale() {
  locale = locale === 'en' ? 'zh-CN' : 'en';
  localStorage.setItem(STORE, locale);
  translate();
}

export function formatYuan(value) {
  const n = Number(value);
  return n.toLocaleString(locale === 'en' ? 'en-US' : 'zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
