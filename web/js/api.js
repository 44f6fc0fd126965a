// The HTTP API client of every page: bearer tokens kept in localStorage, refreshed once on expiry; errors come
// back in the language the page shows.
import { getLocale } from './i18n.js';

const STORE = 'gongwu.tokens';

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? { code: `http.${status}`, message: `HTTP ${status}` };
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.details = error.details;
  }
}

export function tokens() {
  try { return JSON.parse(localStorage.getItem(STORE)) || null; } catch { return null; }
}

function keep(pair) { localStorage.setItem(STORE, JSON.stringify(pair)); }
export function forget() { localStorage.removeItem(STORE); }

export async function login(username, password) {
  const pair = await request('POST', '/api/auth/login', { username, password }, { auth: false });
  keep(pair);
  return pair;
}

async function refresh() {
  const current = tokens();
  if (!current?.refresh_token) return false;
  try {
    keep(await request('POST', '/api/auth/refresh', { refresh_token: current.refresh_token }, { auth: false }));
    return true;
  } catch {
    forget();
    return false;
  }
}

export async function request(method, path, body, { auth = true, retry = true } = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': getLocale() === 'en' ? 'en' : 'zh-CN' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && tokens()) headers.Authorization = `Bearer ${tokens().access_token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && auth && retry && data?.error?.code === 'auth.token_expired' && await refresh()) {
    return request(method, path, body, { auth, retry: false });
  }
  if (!response.ok) {
    if (response.status === 401 && auth) window.dispatchEvent(new CustomEvent('gongwu:logged-out'));
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path, params) => {
  const query = params ? `?${new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''))}` : '';
  return request('GET', path + query);
};
export const post = (path, body) => request('POST', path, body);
export const patch = (path, body) => request('PATCH', path, body);
export const put = (path, body) => request('PUT', path, body);
