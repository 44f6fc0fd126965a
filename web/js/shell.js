// The shell: login, the navigation of the modules the user may use, and a hash router (#/fleet …).
import * as api from './api.js';
import { t, toggleLocale, translate } from './i18n.js';
import { MODULES } from './modules.js';
import { h, showError } from './ui.js';

const $ = (sel) => document.querySelector(sel);
const ctx = { me: null, api };

function visibleModules() {
  return MODULES.filter(m => !m.permission || ctx.me.permissions.includes(m.permission));
}

function showLogin() {
  ctx.me = null;
  $('#shell').hidden = true;
  $('#login').hidden = false;
  translate();
}

async function showShell() {
  ctx.me = await api.get('/api/me');
  $('#login').hidden = true;
  $('#shell').hidden = false;
  $('#who-name').textContent = `${ctx.me.full_name} · ${ctx.me.unit_name}`;
  translate();
  await route();
}

function renderNav(current) {
  $('#nav').replaceChildren(...visibleModules().map(m =>
    h('a', { href: `#/${m.id}`, class: m.id === current ? 'active' : undefined, dataset: { module: m.id } }, t(m.label))));
}

let routing = Promise.resolve();

/** Navigations run one after another, so a slow view can never finish over the one the user went to next. */
function route() {
  routing = routing.then(renderRoute, renderRoute);
  return routing;
}

async function renderRoute() {
  if (!ctx.me) return;
  const wanted = location.hash.replace(/^#\/?/, '').split('/')[0] || 'home';
  const module = visibleModules().find(m => m.id === wanted) ?? visibleModules()[0];
  renderNav(module.id);
  const view = $('#view');
  delete view.dataset.module;
  delete view.dataset.ready;
  view.replaceChildren(h('p', { class: 'muted' }, t('common.loading')));
  try {
    const { render } = await module.load();
    await render(view, ctx);
    view.dataset.module = module.id;
  } catch (error) {
    showError(view, error);
  }
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = $('#login-error');
  error.hidden = true;
  try {
    await api.login(form.get('username'), form.get('password'));
    await showShell();
  } catch (e) {
    error.textContent = `${t('login.failed')}: ${e.message}`;
    error.hidden = false;
  }
});

$('#logout').addEventListener('click', () => { api.forget(); showLogin(); });
for (const el of document.querySelectorAll('[data-locale-toggle]')) {
  el.addEventListener('click', () => { toggleLocale(); if (ctx.me) route(); });
}
window.addEventListener('hashchange', route);
window.addEventListener('gongwu:logged-out', showLogin);

if (api.tokens()) showShell().catch(showLogin); else showLogin();
