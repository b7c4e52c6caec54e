// GRUPO_GAD live dashboard: sign in over REST, then follow the /dashboard Socket.IO namespace.
// Server data only ever reaches the DOM through textContent / Text nodes (never innerHTML).
import { detectLang, hasKey, translate } from './i18n.js';
import { LiveChart } from './chart.js';

const API = (document.querySelector('meta[name="api-base"]')?.content || '/api/v1').replace(/\/+$/, '');
const NAMESPACE = '/dashboard';
const LANG_KEY = 'gad.dashboard.lang';
// Set after a sign-in so a reload tries /auth/refresh; without it a fresh visitor would get a noisy 401.
const SESSION_HINT = 'gad.dashboard.session';
const LEVELS = ['info', 'warning', 'critical'];
const MAX_FEED = 100;
const MAX_USERS_SHOWN = 200;
const CHAT_TIMEOUT_MS = 90_000;
const STATUS_STALE_MS = 20_000;
const TOKEN_REASONS = new Set(['unauthorized', 'token_expired', 'invalid_token', 'jwt expired']);
const RETRY_REASONS = new Set(['too_many_connections', 'rate_limited']);
const STATUS_CLASS = {
  up: 'ok',
  configured: 'ok',
  degraded: 'warn',
  not_configured: 'warn',
  disabled: 'off',
  down: 'bad',
  failing: 'bad',
};

const $ = (id) => document.getElementById(id);
const ui = {
  conn: $('connection-state'),
  reconnect: $('reconnect'),
  who: $('current-user'),
  whoName: $('current-user-name'),
  whoAdmin: $('current-user-admin'),
  lang: $('lang-toggle'),
  logout: $('logout'),
  alert: $('app-alert'),
  alertText: $('app-alert-text'),
  alertClose: $('app-alert-close'),
  announcer: $('announcer'),
  loginView: $('login-view'),
  loginForm: $('login-form'),
  email: $('email'),
  password: $('password'),
  loginError: $('login-error'),
  loginInfo: $('login-info'),
  loginSubmit: $('login-submit'),
  pwView: $('password-view'),
  pwForm: $('password-form'),
  pwCurrent: $('current-password'),
  pwNew: $('new-password'),
  pwConfirm: $('confirm-password'),
  pwError: $('password-error'),
  pwSubmit: $('password-submit'),
  pwCancel: $('password-cancel'),
  appView: $('app-view'),
  appHeading: $('app-heading'),
  onlineCount: $('online-count'),
  onlineUsers: $('online-users'),
  onlineNote: $('online-users-note'),
  statusCard: $('status-card'),
  statusDb: $('status-database'),
  statusRedis: $('status-redis'),
  statusAi: $('status-ai'),
  statusConnections: $('status-connections'),
  statusUpdated: $('status-updated'),
  statusStale: $('status-stale'),
  chart: $('chart'),
  chartSummary: $('chart-summary'),
  feed: $('notifications'),
  feedEmpty: $('notifications-empty'),
  bcForm: $('broadcast-form'),
  bcMessage: $('broadcast-message'),
  bcLevel: $('broadcast-level'),
  bcRole: $('broadcast-role'),
  bcCounter: $('broadcast-counter'),
  bcStatus: $('broadcast-status'),
  chatLog: $('chat-log'),
  chatEmpty: $('chat-empty'),
  chatForm: $('chat-form'),
  chatMessage: $('chat-message'),
  chatStatus: $('chat-status'),
};

const storage = {
  get(area, key) {
    try {
      return window[area].getItem(key);
    } catch {
      return null;
    }
  },
  set(area, key, value) {
    try {
      window[area].setItem(key, value);
    } catch {
      /* storage blocked */
    }
  },
  remove(area, key) {
    try {
      window[area].removeItem(key);
    } catch {
      /* storage blocked */
    }
  },
};

const state = {
  lang: detectLang(storage.get('localStorage', LANG_KEY), navigator.language),
  token: null,
  expiresAt: 0,
  refreshTimer: 0,
  refreshing: null,
  user: null,
  isAdmin: false,
  pending: null,
  socket: null,
  conn: { kind: 'disconnected', reason: null, retryIn: 0 },
  retryTimer: 0,
  authRetried: false,
  expiring: false,
  signingOut: false,
  lastStatusAt: 0,
  lastHttp: null,
  seenNotifications: new Set(),
  chat: { pending: [], byId: new Map() },
};

const chart = new LiveChart(ui.chart);

// ---------- i18n ----------
const t = (key, vars) => translate(state.lang, key, vars);
const fmtNumber = (n, digits = 1) =>
  Number.isFinite(n) ? new Intl.NumberFormat(state.lang, { maximumFractionDigits: digits }).format(n) : '—';
const fmtTime = (iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : new Intl.DateTimeFormat(state.lang, { timeStyle: 'medium' }).format(d);
};

/** Sets translated text and remembers the key so a language switch can redo it. */
function setText(node, key, vars) {
  node.dataset.i18n = key;
  if (vars) node.dataset.i18nVars = JSON.stringify(vars);
  else delete node.dataset.i18nVars;
  node.textContent = t(key, vars);
}

function clearText(node) {
  delete node.dataset.i18n;
  delete node.dataset.i18nVars;
  node.textContent = '';
}

function setTime(node, iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return;
  node.dateTime = d.toISOString();
  node.textContent = fmtTime(d);
}

function applyLang() {
  document.documentElement.lang = state.lang;
  document.title = t('app.title');
  for (const node of document.querySelectorAll('[data-i18n]')) {
    let vars;
    try {
      vars = node.dataset.i18nVars ? JSON.parse(node.dataset.i18nVars) : undefined;
    } catch {
      vars = undefined;
    }
    node.textContent = t(node.dataset.i18n, vars);
  }
  for (const node of document.querySelectorAll('time[datetime]')) node.textContent = fmtTime(node.dateTime);
  const other = state.lang === 'es' ? 'en' : 'es';
  // The button names the other language in that language ("English" / "Español").
  ui.lang.textContent = t('lang.other');
  ui.lang.lang = other;
  renderConn();
  renderCounter();
  renderChartSummary();
  chart.setLabels({ start: t('chart.start'), end: t('chart.now') });
}

// ---------- small UI helpers ----------
function showMessage(node, key, vars) {
  if (key) setText(node, key, vars);
  else clearText(node);
}

function problemLines(err) {
  if (!err || err.status === 0) return [t('err.network')];
  const p = err.problem || {};
  const lines = [];
  const detail = typeof p.detail === 'string' && p.detail ? p.detail : typeof p.title === 'string' ? p.title : '';
  lines.push(detail || t('err.status', { status: err.status }));
  if (Array.isArray(p.errors)) {
    for (const e of p.errors) {
      const msg = [e?.field, e?.message].filter((x) => typeof x === 'string' && x).join(': ');
      if (msg && msg !== detail) lines.push(msg);
    }
  }
  return lines;
}

/** Shows a server problem: plain text, one line per validation error when the node is a list. */
function showProblem(node, err) {
  clearText(node);
  const lines = problemLines(err);
  if (node.tagName === 'UL') {
    for (const line of lines) node.append(Object.assign(document.createElement('li'), { textContent: line }));
  } else {
    node.textContent = lines.join(' ');
  }
}

function showAlert(text) {
  ui.alertText.textContent = text;
  ui.alert.hidden = false;
}

function announce(text) {
  ui.announcer.textContent = '';
  // A fresh text node after a tick makes screen readers announce repeated messages too.
  setTimeout(() => {
    ui.announcer.textContent = text;
  }, 50);
}

function setBusy(button, busyKey, idleKey) {
  button.disabled = Boolean(busyKey);
  setText(button, busyKey || idleKey);
}

function messageText(value) {
  if (Array.isArray(value)) return value.map(String).join('; ');
  if (typeof value === 'string') return value;
  return value == null ? '' : JSON.stringify(value);
}

// ---------- REST ----------
class ApiError extends Error {
  constructor(status, problem) {
    super(`HTTP ${status}`);
    this.status = status;
    this.problem = problem && typeof problem === 'object' ? problem : null;
  }
}

async function api(path, { method = 'GET', body, auth = true, retry = false } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && state.token) headers.Authorization = `Bearer ${state.token}`;
  let res;
  try {
    res = await fetch(API + path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (res.status === 401 && retry && state.token && (await refreshToken())) {
    return api(path, { method, body, auth, retry: false });
  }
  let data = null;
  if (res.status !== 204 && /json/i.test(res.headers.get('Content-Type') || '')) {
    data = await res.json().catch(() => null);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function mustChangePassword(err) {
  if (!err || err.status !== 403 || !err.problem) return false;
  const text = JSON.stringify(err.problem);
  return /must[\s_-]*change|change[\s_-]*(?:your[\s_-]*|the[\s_-]*)?password|cambiar\s+(?:la\s+|su\s+|tu\s+)?contrase/i.test(
    text,
  );
}

function acceptToken(tok) {
  if (!tok || typeof tok.access_token !== 'string') throw new ApiError(500, null);
  state.token = tok.access_token;
  const ttl = Math.max(10, Number(tok.expires_in) || 900) * 1000;
  state.expiresAt = Date.now() + ttl;
  clearTimeout(state.refreshTimer);
  // Renew a minute (or a fifth of the lifetime, if shorter) before expiry.
  state.refreshTimer = setTimeout(renewAndReconnect, ttl - Math.min(60_000, ttl * 0.2));
  storage.set('sessionStorage', SESSION_HINT, '1');
}

/** One refresh at a time. Resolves true (renewed), false (session gone) or null (network trouble). */
function refreshToken() {
  state.refreshing ??= (async () => {
    try {
      acceptToken(await api('/auth/refresh', { method: 'POST', auth: false }));
      return true;
    } catch (err) {
      return err.status === 0 || err.status >= 500 ? null : false;
    } finally {
      state.refreshing = null;
    }
  })();
  return state.refreshing;
}

async function renewAndReconnect() {
  if (!state.token) return;
  const ok = await refreshToken();
  if (ok) {
    if (!state.user || !state.socket) return; // e.g. still on the password form
    await chatIdle(30_000);
    reconnectSocket();
  } else if (ok === false) {
    if (state.user) sessionExpired();
  } else {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(renewAndReconnect, 15_000);
  }
}

function chatIdle(maxMs) {
  const until = Date.now() + maxMs;
  return new Promise((resolve) => {
    const check = () => (state.chat.pending.length === 0 || Date.now() > until ? resolve() : setTimeout(check, 500));
    check();
  });
}

// ---------- views ----------
function showView(name) {
  ui.loginView.hidden = name !== 'login';
  ui.pwView.hidden = name !== 'password';
  ui.appView.hidden = name !== 'app';
  ui.logout.hidden = name !== 'app';
  ui.who.hidden = name !== 'app';
}

function showLogin(infoKey, errorKey) {
  showView('login');
  showMessage(ui.loginInfo, infoKey);
  showMessage(ui.loginError, errorKey);
  setBusy(ui.loginSubmit, null, 'login.submit');
  (ui.email.value ? ui.password : ui.email).focus();
}

function showPasswordForm(pending) {
  state.pending = pending;
  ui.pwForm.reset();
  clearText(ui.pwError);
  ui.pwCurrent.value = pending.password || '';
  showView('password');
  (ui.pwCurrent.value ? ui.pwNew : ui.pwCurrent).focus();
}

// ---------- sign in / out ----------
async function onLogin(event) {
  event.preventDefault();
  showMessage(ui.loginInfo, null);
  const email = ui.email.value.trim();
  const password = ui.password.value;
  for (const input of [ui.email, ui.password]) input.removeAttribute('aria-invalid');
  if (!email || !password) {
    const missing = !email ? ui.email : ui.password;
    missing.setAttribute('aria-invalid', 'true');
    showMessage(ui.loginError, 'login.missing');
    missing.focus();
    return;
  }
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    ui.email.setAttribute('aria-invalid', 'true');
    showMessage(ui.loginError, 'login.badEmail');
    ui.email.focus();
    return;
  }
  showMessage(ui.loginError, null);
  setBusy(ui.loginSubmit, 'login.busy');
  try {
    acceptToken(await api('/auth/login', { method: 'POST', body: { email, password }, auth: false }));
    await continueSignIn({ email, password });
  } catch (err) {
    if (mustChangePassword(err)) {
      if (typeof err.problem?.access_token === 'string') acceptToken(err.problem);
      showPasswordForm({ email, password });
    } else {
      ui.password.setAttribute('aria-invalid', 'true');
      showProblem(ui.loginError, err);
      ui.password.select();
      ui.password.focus();
    }
  } finally {
    setBusy(ui.loginSubmit, null, 'login.submit');
  }
}

async function continueSignIn(credentials) {
  let me;
  try {
    me = await api('/users/me', { retry: true });
  } catch (err) {
    if (mustChangePassword(err)) return showPasswordForm(credentials);
    throw err;
  }
  if (me?.must_change_password) return showPasswordForm(credentials);
  ui.password.value = '';
  startApp(me);
}

async function onChangePassword(event) {
  event.preventDefault();
  clearText(ui.pwError);
  const current = ui.pwCurrent.value,
    next = ui.pwNew.value,
    confirm = ui.pwConfirm.value;
  const fail = (key, input) => {
    setText(ui.pwError.appendChild(document.createElement('li')), key);
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  for (const input of [ui.pwCurrent, ui.pwNew, ui.pwConfirm]) input.removeAttribute('aria-invalid');
  if (!current || !next || !confirm) return fail('pw.missing', !current ? ui.pwCurrent : !next ? ui.pwNew : ui.pwConfirm);
  if (next !== confirm) return fail('pw.mismatch', ui.pwConfirm);
  if (next === current) return fail('pw.same', ui.pwNew);
  setBusy(ui.pwSubmit, 'pw.busy');
  try {
    await api('/auth/change-password', { method: 'POST', body: { current_password: current, new_password: next } });
    const email = state.pending?.email;
    state.pending = null;
    ui.pwForm.reset();
    if (state.token) {
      await continueSignIn({ email, password: next });
    } else if (email) {
      acceptToken(await api('/auth/login', { method: 'POST', body: { email, password: next }, auth: false }));
      await continueSignIn({ email, password: next });
    } else {
      showLogin();
    }
  } catch (err) {
    showProblem(ui.pwError, err);
    if (err.status === 401) ui.pwCurrent.setAttribute('aria-invalid', 'true');
  } finally {
    setBusy(ui.pwSubmit, null, 'pw.submit');
  }
}

function isAdminUser(me) {
  const roles = Array.isArray(me?.roles) ? me.roles : [];
  return me?.is_superuser === true || roles.some((r) => (typeof r === 'string' ? r : r?.name) === 'admin');
}

function startApp(me) {
  state.user = me;
  state.isAdmin = isAdminUser(me);
  const name = (typeof me.full_name === 'string' && me.full_name.trim()) || me.email || '';
  ui.whoName.textContent = name;
  ui.whoAdmin.hidden = !state.isAdmin;
  ui.appView.classList.toggle('is-admin', state.isAdmin);
  for (const node of document.querySelectorAll('[data-admin-only]')) node.hidden = !state.isAdmin;
  ui.onlineNote.hidden = state.isAdmin;
  showView('app');
  ui.appHeading.focus();
  connectSocket();
}

function resetApp() {
  clearTimeout(state.refreshTimer);
  clearRetry();
  disposeSocket();
  failPendingChats('chat.interrupted');
  Object.assign(state, {
    token: null,
    expiresAt: 0,
    user: null,
    isAdmin: false,
    pending: null,
    lastStatusAt: 0,
    lastHttp: null,
    lastOnline: null,
    authRetried: false,
  });
  state.seenNotifications.clear();
  state.chat.byId.clear();
  storage.remove('sessionStorage', SESSION_HINT);
  ui.feed.replaceChildren();
  ui.feedEmpty.hidden = false;
  ui.chatLog.replaceChildren();
  ui.chatEmpty.hidden = false;
  ui.onlineUsers.replaceChildren();
  ui.onlineCount.textContent = '—';
  for (const node of [ui.statusDb, ui.statusRedis, ui.statusAi]) setStatusValue(node, undefined);
  ui.statusConnections.textContent = '—';
  ui.statusUpdated.removeAttribute('datetime');
  ui.statusUpdated.textContent = '—';
  ui.statusStale.hidden = true;
  for (const node of [ui.bcStatus, ui.chatStatus]) clearText(node);
  ui.alert.hidden = true;
  chart.clear();
  renderChartSummary();
  setConn('disconnected');
}

async function onLogout() {
  const token = state.token;
  state.signingOut = true;
  resetApp();
  state.signingOut = false;
  try {
    await fetch(`${API}/auth/logout`, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  } catch {
    /* the local session is gone either way */
  }
  showLogin('login.signedOut');
}

function sessionExpired() {
  resetApp();
  showLogin(null, 'err.sessionExpired');
}

// ---------- socket ----------
function setConn(kind, reason = null, retryIn = 0) {
  state.conn = { kind, reason, retryIn };
  renderConn();
}

function reasonText(code) {
  const key = `reason.${code}`;
  return hasKey(state.lang, key) ? `${t(key)} (${code})` : code;
}

function renderConn() {
  const { kind, reason, retryIn } = state.conn;
  ui.conn.dataset.state = kind;
  ui.conn.classList.toggle('is-idle', !state.user);
  const parts = [t(`conn.${kind}`)];
  if (reason) parts.push(reasonText(reason));
  if (retryIn) parts.push(t('conn.retryIn', { s: retryIn }));
  ui.conn.textContent = parts.join(' · ');
}

function clearRetry() {
  clearTimeout(state.retryTimer);
  state.retryTimer = 0;
}

function disposeSocket() {
  const socket = state.socket;
  state.socket = null;
  if (!socket) return;
  socket.removeAllListeners();
  socket.io.removeAllListeners();
  socket.disconnect();
}

function connectSocket() {
  disposeSocket();
  ui.reconnect.hidden = true;
  if (typeof window.io !== 'function') {
    setConn('disconnected', 'client_unavailable');
    return;
  }
  setConn('connecting');
  // auth as a function: every reconnection attempt sends the current token, not the first one.
  const socket = window.io(NAMESPACE, {
    auth: (cb) => cb({ token: state.token }),
    transports: ['websocket', 'polling'],
    forceNew: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10_000,
  });
  state.socket = socket;

  socket.on('connect', () => {
    state.authRetried = false;
    clearRetry();
    ui.reconnect.hidden = true;
    setConn('connected');
  });
  socket.on('connect_error', (err) => onConnectError(socket, err));
  socket.on('disconnect', onDisconnect);
  socket.io.on('reconnect_attempt', () => setConn('reconnecting', state.conn.reason));
  socket.io.on('reconnect_failed', () => {
    setConn('disconnected', 'reconnect_failed');
    ui.reconnect.hidden = false;
  });

  socket.on('users:online', renderOnline);
  socket.on('notification', addNotification);
  socket.on('system:history', renderHistory);
  socket.on('system:status', renderStatus);
  socket.on('ai:chunk', onChatChunk);
  socket.on('ai:done', onChatDone);
  socket.on('error', onServerError);
  socket.on('auth:expired', onAuthExpired);
}

function reconnectSocket() {
  const socket = state.socket;
  if (!socket) return connectSocket();
  clearRetry();
  ui.reconnect.hidden = true;
  if (socket.connected || socket.active) socket.disconnect();
  setConn('connecting');
  socket.connect();
}

async function onConnectError(socket, err) {
  if (socket !== state.socket) return;
  const reason = String(err?.message || 'unknown');
  // Transport trouble: the client keeps retrying on its own.
  if (socket.active) return setConn('reconnecting', reason);
  // Refused by the server: decide ourselves.
  if (TOKEN_REASONS.has(reason) && !state.authRetried) {
    state.authRetried = true;
    setConn('reconnecting', reason);
    const ok = await refreshToken();
    if (ok) return reconnectSocket();
    if (ok === false) return sessionExpired();
  }
  if (RETRY_REASONS.has(reason)) {
    const seconds = 10 + Math.floor(Math.random() * 10);
    setConn('disconnected', reason, seconds);
    clearRetry();
    state.retryTimer = setTimeout(() => {
      state.retryTimer = 0;
      if (state.socket === socket) reconnectSocket();
    }, seconds * 1000);
    return;
  }
  setConn('disconnected', reason);
  ui.reconnect.hidden = false;
}

function onDisconnect(reason) {
  failPendingChats('chat.interrupted');
  if (state.signingOut || reason === 'io client disconnect') return;
  if (reason === 'io server disconnect') {
    // The server closed us (expiry, deactivation, idle): it will not come back by itself.
    if (state.expiring) return setConn('reconnecting', 'token_expired');
    setConn('disconnected', reason);
    ui.reconnect.hidden = false;
    return;
  }
  setConn('reconnecting', reason);
}

async function onAuthExpired() {
  state.expiring = true;
  setConn('reconnecting', 'token_expired');
  const ok = await refreshToken();
  state.expiring = false;
  if (ok) reconnectSocket();
  else if (ok === false) sessionExpired();
  else {
    setConn('disconnected', 'token_expired');
    ui.reconnect.hidden = false;
  }
}

function onServerError(payload) {
  const event = typeof payload?.event === 'string' ? payload.event : '';
  const message = messageText(payload?.message) || messageText(payload);
  if (event === 'ai:chat') {
    const entry = state.chat.pending.find((e) => e.id === null) || state.chat.pending[0];
    if (entry) return finishChat(entry, { error: message });
    return setText(ui.chatStatus, 'chat.error', { message });
  }
  if (event === 'notification:broadcast') {
    ui.bcStatus.classList.add('is-error');
    return setText(ui.bcStatus, 'bc.error', { message });
  }
  showAlert(t('err.server', { event: event || '?', message }));
}

// ---------- live panels ----------
function renderOnline(payload) {
  if (!payload || typeof payload !== 'object') return;
  state.lastOnline = payload;
  const count = Number(payload.count);
  ui.onlineCount.textContent = Number.isFinite(count) ? fmtNumber(count, 0) : '—';
  if (!state.isAdmin || !Array.isArray(payload.users)) return;
  const items = payload.users.slice(0, MAX_USERS_SHOWN).map((u) => {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'user-name';
    name.textContent = (typeof u?.full_name === 'string' && u.full_name) || u?.email || '?';
    li.append(name);
    if (typeof u?.email === 'string' && u.email && u.email !== name.textContent) {
      const email = document.createElement('span');
      email.className = 'user-email';
      email.textContent = u.email;
      li.append(' ', email);
    }
    if (u?.id && u.id === state.user?.id) li.classList.add('is-me');
    return li;
  });
  const extra = payload.users.length - items.length;
  if (extra > 0) {
    const li = document.createElement('li');
    li.className = 'muted';
    setText(li, 'online.more', { n: extra });
    items.push(li);
  }
  if (!items.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    setText(li, 'online.none');
    items.push(li);
  }
  ui.onlineUsers.replaceChildren(...items);
}

function addNotification(n) {
  if (!n || typeof n.message !== 'string') return;
  if (n.id) {
    if (state.seenNotifications.has(n.id)) return;
    state.seenNotifications.add(n.id);
  }
  const level = LEVELS.includes(n.level) ? n.level : 'info';
  const li = document.createElement('li');
  li.className = `notif level-${level}`;
  li.dataset.level = level;
  if (n.id) li.dataset.id = String(n.id);

  const badge = document.createElement('span');
  badge.className = 'badge';
  setText(badge, `level.${level}`);
  const msg = document.createElement('p');
  msg.className = 'notif-message';
  msg.textContent = n.message;
  const meta = document.createElement('p');
  meta.className = 'notif-meta';
  const from = document.createElement('span');
  const sender = n.from && typeof n.from === 'object' ? n.from.full_name || n.from.email : '';
  if (sender) setText(from, 'notif.from', { name: String(sender) });
  else setText(from, 'notif.system');
  const time = document.createElement('time');
  setTime(time, n.created_at || new Date().toISOString());
  meta.append(from, ' · ', time);
  li.append(badge, msg, meta);

  ui.feed.prepend(li);
  ui.feedEmpty.hidden = true;
  while (ui.feed.children.length > MAX_FEED) ui.feed.lastElementChild.remove();
  if (state.seenNotifications.size > MAX_FEED * 5) state.seenNotifications.clear();
  if (level === 'critical') announce(`${t('level.critical')}: ${n.message}`);
}

function setStatusValue(node, value) {
  const known = typeof value === 'string' && Object.hasOwn(STATUS_CLASS, value);
  node.className = `status-value s-${known ? STATUS_CLASS[value] : 'unknown'}`;
  node.dataset.value = typeof value === 'string' ? value : '';
  if (known) setText(node, `val.${value}`);
  else if (typeof value === 'string' && value) {
    clearText(node);
    node.textContent = value;
  } else setText(node, 'val.unknown');
}

function renderStatus(s) {
  if (!s || typeof s !== 'object') return;
  state.lastStatusAt = Date.now();
  setStatusValue(ui.statusDb, s.database);
  setStatusValue(ui.statusRedis, s.redis);
  setStatusValue(ui.statusAi, s.ai);
  ui.statusConnections.textContent = fmtNumber(Number(s.connections), 0);
  setTime(ui.statusUpdated, s.timestamp || new Date().toISOString());
  ui.statusStale.hidden = true;
  ui.statusCard.classList.remove('is-stale');
  const http = s.http && typeof s.http === 'object' ? s.http : {};
  const rps = Number(http.rps),
    p95 = Number(http.p95_ms);
  state.lastHttp = { rps, p95 };
  chart.push(rps, p95);
  renderChartSummary();
}

// The five minutes before the page connected (every instance), on this browser's clock: the last sample is the server's now.
function renderHistory(h) {
  const samples = Array.isArray(h?.samples) ? h.samples : [];
  const end = Date.parse(samples.at(-1)?.t);
  if (!Number.isFinite(end)) return;
  const offset = Date.now() - end;
  chart.clear();
  for (const s of samples) {
    const at = Date.parse(s?.t);
    if (Number.isFinite(at)) chart.push(Number(s.rps), Number(s.p95_ms), at + offset);
  }
}

function renderChartSummary() {
  const h = state.lastHttp;
  if (!h) return setText(ui.chartSummary, 'chart.empty');
  setText(ui.chartSummary, 'chart.summary', { rps: fmtNumber(h.rps, 2), p95: fmtNumber(h.p95, 0) });
}

// A silent server leaves a frozen chart otherwise; slide it and flag the status as stale.
setInterval(() => {
  if (!state.isAdmin || !state.lastStatusAt) return;
  chart.schedule();
  const stale = Date.now() - state.lastStatusAt > STATUS_STALE_MS;
  ui.statusStale.hidden = !stale;
  ui.statusCard.classList.toggle('is-stale', stale);
}, 5_000);

// ---------- broadcast (admins) ----------
function renderCounter() {
  setText(ui.bcCounter, 'bc.counter', { n: ui.bcMessage.value.length });
  ui.bcCounter.classList.toggle('over', ui.bcMessage.value.length > 1000);
}

function onBroadcast(event) {
  event.preventDefault();
  const message = ui.bcMessage.value.trim();
  ui.bcMessage.removeAttribute('aria-invalid');
  let problem = null;
  if (!message) problem = 'bc.empty';
  else if (message.length > 1000) problem = 'bc.tooLong';
  else if (!state.socket?.connected) problem = 'chat.offline';
  ui.bcStatus.classList.toggle('is-error', Boolean(problem));
  if (problem) {
    setText(ui.bcStatus, problem);
    if (problem !== 'chat.offline') ui.bcMessage.setAttribute('aria-invalid', 'true');
    ui.bcMessage.focus();
    return;
  }
  const payload = { message, level: LEVELS.includes(ui.bcLevel.value) ? ui.bcLevel.value : 'info' };
  if (ui.bcRole.value) payload.role = ui.bcRole.value;
  state.socket.emit('notification:broadcast', payload);
  setText(ui.bcStatus, 'bc.sent');
  ui.bcMessage.value = '';
  renderCounter();
  ui.bcMessage.focus();
}

// ---------- AI chat ----------
function chatBubble(kind, labelKey) {
  const li = document.createElement('li');
  li.className = `msg msg-${kind}`;
  const who = document.createElement('span');
  who.className = 'msg-who';
  setText(who, labelKey);
  const body = document.createElement('p');
  body.className = 'msg-text';
  li.append(who, body);
  return { li, body };
}

function appendChat(li) {
  const log = ui.chatLog;
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  log.append(li);
  ui.chatEmpty.hidden = true;
  while (log.children.length > 200) log.firstElementChild.remove();
  if (nearBottom) log.scrollTop = log.scrollHeight;
}

function onChatSubmit(event) {
  event.preventDefault();
  clearText(ui.chatStatus);
  const message = ui.chatMessage.value.trim();
  if (!message) {
    setText(ui.chatStatus, 'chat.emptyMsg');
    return ui.chatMessage.focus();
  }
  if (!state.socket?.connected) {
    setText(ui.chatStatus, 'chat.offline');
    return ui.chatMessage.focus();
  }
  const mine = chatBubble('user', 'chat.you');
  mine.body.textContent = message;
  appendChat(mine.li);

  const reply = chatBubble('ai', 'chat.ai');
  reply.li.classList.add('is-pending');
  reply.li.setAttribute('aria-busy', 'true');
  setText(reply.body, 'chat.thinking');
  appendChat(reply.li);
  const entry = { id: null, li: reply.li, body: reply.body, started: false, done: false, timer: 0 };
  entry.timer = setTimeout(() => finishChat(entry, { errorKey: 'chat.timeout' }), CHAT_TIMEOUT_MS);
  state.chat.pending.push(entry);

  // The answer streams as ai:chunk/ai:done; an acknowledgement, if the server sends one, is used too.
  state.socket.emit('ai:chat', { message }, (ack) => onChatAck(entry, ack));
  ui.chatMessage.value = '';
  ui.chatMessage.focus();
}

function chatEntryFor(id) {
  const key = id == null ? null : String(id);
  if (key !== null && state.chat.byId.has(key)) return state.chat.byId.get(key);
  const entry = state.chat.pending.find((e) => e.id === null);
  if (!entry) return null;
  if (key !== null) {
    entry.id = key;
    entry.li.dataset.id = key;
    state.chat.byId.set(key, entry);
    if (state.chat.byId.size > 100) state.chat.byId.delete(state.chat.byId.keys().next().value);
  }
  return entry;
}

function onChatChunk(payload) {
  if (!payload || typeof payload.delta !== 'string') return;
  const entry = chatEntryFor(payload.id);
  if (!entry || entry.done) return;
  if (!entry.started) {
    entry.started = true;
    clearText(entry.body);
    entry.li.classList.remove('is-pending');
  }
  const log = ui.chatLog;
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  entry.body.append(payload.delta);
  if (nearBottom) log.scrollTop = log.scrollHeight;
  clearTimeout(entry.timer);
  entry.timer = setTimeout(() => finishChat(entry, { errorKey: 'chat.timeout' }), CHAT_TIMEOUT_MS);
}

function onChatDone(payload) {
  if (!payload || typeof payload !== 'object') return;
  const entry = chatEntryFor(payload.id);
  if (!entry || entry.done) return;
  finishChat(entry, { result: payload });
}

function onChatAck(entry, ack) {
  if (entry.done || !ack || typeof ack !== 'object') return;
  if (typeof ack.response === 'string') return finishChat(entry, { result: ack });
  if (ack.id != null && entry.id === null) {
    entry.id = String(ack.id);
    state.chat.byId.set(entry.id, entry);
  }
  if (ack.error || ack.event === 'error') finishChat(entry, { error: messageText(ack.message ?? ack.error) });
}

function finishChat(entry, { result, error, errorKey } = {}) {
  if (entry.done) return;
  entry.done = true;
  clearTimeout(entry.timer);
  state.chat.pending = state.chat.pending.filter((e) => e !== entry);
  entry.li.classList.remove('is-pending');
  entry.li.removeAttribute('aria-busy');
  if (result) {
    if (typeof result.response === 'string') {
      clearText(entry.body);
      entry.body.textContent = result.response;
    }
    const meta = document.createElement('p');
    meta.className = 'msg-meta';
    if (result.source === 'fallback') {
      const tag = document.createElement('span');
      tag.className = 'tag tag-fallback';
      setText(tag, 'chat.fallback');
      meta.append(tag, ' ');
    }
    const time = document.createElement('time');
    setTime(time, result.timestamp || new Date().toISOString());
    meta.append(time);
    entry.li.append(meta);
  } else {
    entry.li.classList.add('is-error');
    const note = document.createElement('p');
    note.className = 'msg-error';
    if (errorKey) setText(note, errorKey);
    else setText(note, 'chat.error', { message: error || '?' });
    if (!entry.started) entry.body.remove();
    entry.li.append(note);
  }
  const log = ui.chatLog;
  if (log.scrollHeight - log.scrollTop - log.clientHeight < 160) log.scrollTop = log.scrollHeight;
}

function failPendingChats(key) {
  for (const entry of [...state.chat.pending]) finishChat(entry, { errorKey: key });
}

// ---------- wiring ----------
ui.loginForm.addEventListener('submit', onLogin);
ui.pwForm.addEventListener('submit', onChangePassword);
ui.pwCancel.addEventListener('click', onLogout);
ui.logout.addEventListener('click', onLogout);
ui.reconnect.addEventListener('click', () => {
  state.authRetried = false;
  reconnectSocket();
});
ui.alertClose.addEventListener('click', () => {
  ui.alert.hidden = true;
});
ui.lang.addEventListener('click', () => {
  state.lang = state.lang === 'es' ? 'en' : 'es';
  storage.set('localStorage', LANG_KEY, state.lang);
  applyLang();
});
ui.bcForm.addEventListener('submit', onBroadcast);
ui.bcMessage.addEventListener('input', renderCounter);
ui.chatForm.addEventListener('submit', onChatSubmit);
ui.chatMessage.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    ui.chatForm.requestSubmit();
  }
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || !state.user) return;
  if (Date.now() > state.expiresAt - 30_000) renewAndReconnect();
  else if (state.socket && !state.socket.connected && !state.socket.active && !state.retryTimer) reconnectSocket();
});

applyLang();
if (storage.get('sessionStorage', SESSION_HINT)) {
  showView('login');
  showMessage(ui.loginInfo, 'login.resuming');
  refreshToken().then(async (ok) => {
    if (!ok) return showLogin();
    try {
      await continueSignIn({});
    } catch {
      resetApp();
      showLogin();
    }
  });
} else {
  showLogin();
}
