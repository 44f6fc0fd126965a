// The modules the shell can show. A module appears in the navigation when the user holds its permission.
// Later modules add one line here: {id, label (i18n key), permission, load}.
export const MODULES = [
  { id: 'home', label: 'nav.home', permission: null, load: () => import('./views/home.js') },
  { id: 'booking', label: 'nav.booking', permission: 'dispatch.booking.create', load: () => import('../booking/index.js') },
  { id: 'approvals', label: 'nav.approvals', permission: 'dispatch.booking.approve', load: () => import('../approvals/index.js') },
  { id: 'driver', label: 'nav.driver', permission: 'dispatch.task.update', load: () => import('../driver/index.js') },
  { id: 'console', label: 'nav.console', permission: 'telematics.live.read', load: () => import('../console/index.js') },
  { id: 'dispatch', label: 'nav.dispatch', permission: 'dispatch.plan.read', load: () => import('../dispatch/index.js') },
  { id: 'fleet', label: 'nav.fleet', permission: 'fleet.vehicle.read', load: () => import('./views/fleet.js') },
  { id: 'charging', label: 'nav.charging', permission: 'charging.plan.read', load: () => import('../charging/index.js') },
  { id: 'terminals', label: 'nav.terminals', permission: 'telematics.terminal.read', load: () => import('../console/terminals.js') },
  { id: 'supervision', label: 'nav.supervision', permission: 'supervision.read', load: () => import('../supervision/index.js') },
  { id: 'costs', label: 'nav.costs', permission: 'costs.read', load: () => import('../costs/index.js') },
  { id: 'budget', label: 'nav.budget', permission: 'budget.report.read', load: () => import('./views/budget.js') },
  { id: 'org', label: 'nav.org', permission: 'identity.user.read', load: () => import('./views/org.js') },
  { id: 'audit', label: 'nav.audit', permission: 'audit.read', load: () => import('./views/audit.js') },
];
