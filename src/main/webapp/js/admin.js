// The admin page: live statistics (with charts of the last 15 minutes), users (one page at a time, search by name
// prefix; create, delete), one user's sessions (list, sign out all) and recent activity.

import { api } from './api.js';
import { showActivity } from './activity.js';
import { renderChart } from './charts.js';
import { askForPasswordWhenNeeded } from './reauth.js';
import { SessionKeeper } from './session.js';
import { $, cell, el, say, setTime, deviceName, listOf, busy, ready, timeElement } from './ui.js';

const STATS_EVERY_MS = 5_000;
const keeper = new SessionKeeper();
let me = null;
let selectedUser = null;

async function activity() {
  try {
    await keeper.refresh();
  } catch (e) {
    // a 401 already left the page
  }
}

// ---- live statistics ------------------------------------------------------------------------------------------

function label(key) {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_.-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function flatten(object, prefix = '') {
  const out = [];
  for (const [key, value] of Object.entries(object || {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out.push(...flatten(value, name));
    } else if (['number', 'string', 'boolean'].includes(typeof value)) {
      out.push([name, value]);
    }
  }
  return out;
}

const numberFormat = new Intl.NumberFormat();

async function loadStats() {
  if (document.visibilityState === 'hidden') {
    return;
  }
  try {
    const stats = await api('GET', '/api/admin/stats');
    const entries = flatten(stats).sort(([a], [b]) => (b === 'activeSessions') - (a === 'activeSessions'));
    const list = $('stats');
    for (const [key, value] of entries) {
      const id = `stat-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;
      let dd = document.getElementById(id);
      if (!dd) {
        dd = el('dd', { id });
        list.append(el('div', { class: 'stat', dataset: { stat: key } }, el('dt', {}, label(key)), dd));
      }
      dd.textContent = typeof value === 'number' ? numberFormat.format(value) : String(value);
    }
    setTime($('stats-updated'), new Date().toISOString(), { withDate: false });
    say($('stats-status'), '');
  } catch (e) {
    say($('stats-status'), `Statistics unavailable: ${e.message}`, 'error');
  }
}

// ---- charts of the last minutes ---------------------------------------------------------------------------------
//
// GET /api/admin/stats/history answers the history of the instance that served the request, and requests are
// balanced over the instances without stickiness: the page keeps the latest history of every instance it has heard
// from and merges them per sample instant (the instances sample at the same wall-clock multiples of the interval).
// Active sessions are counted cluster-wide by every instance: the highest value. Sign-ins are per instance: the sum.
// Latencies are per instance means: the highest (the slowest instance is the one to see).

const HISTORY_WINDOW_MS = 15 * 60_000;
// The newest points wait for every instance heard from within this time, so that a sum never lacks an instance only
// because its history was not fetched again yet; an instance silent for longer no longer holds the charts back.
const HISTORY_WAIT_MS = 60_000;
const histories = new Map(); // instance → { intervalSeconds, samples (oldest first) }
let historyFailure = '';

function finite(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function higher(a, b) {
  return b === null ? a : a === null ? b : Math.max(a, b);
}

function keepHistory(answer) {
  if (!answer || typeof answer.instance !== 'string' || !Array.isArray(answer.samples)) {
    return;
  }
  const intervalSeconds = finite(answer.intervalSeconds) > 0 ? answer.intervalSeconds : 10;
  const samples = answer.samples.filter((s) => s && finite(s.at) !== null).sort((x, y) => x.at - y.at);
  histories.set(answer.instance, { intervalSeconds, samples });
}

function newestOf(history) {
  return history.samples.length ? history.samples[history.samples.length - 1].at : -Infinity;
}

/** The merged series of the instances heard from (dropping those whose newest sample is 15 minutes old). */
function mergedHistory() {
  const newest = Math.max(-Infinity, ...[...histories.values()].map(newestOf));
  for (const [instance, history] of histories) {
    if (newestOf(history) <= newest - HISTORY_WINDOW_MS) {
      histories.delete(instance);
    }
  }
  const live = [...histories.values()].filter((h) => h.samples.length > 0);
  const intervalSeconds = live.length ? Math.max(...live.map((h) => h.intervalSeconds)) : 10;
  if (!live.length) {
    return { instances: 0, intervalSeconds, points: [] };
  }
  const end = Math.min(...live.map(newestOf).filter((at) => at >= newest - HISTORY_WAIT_MS));
  const byAt = new Map();
  for (const history of live) {
    const perMinute = 60 / history.intervalSeconds;
    for (const s of history.samples) {
      if (s.at <= end - HISTORY_WINDOW_MS || s.at > end) {
        continue;
      }
      let point = byAt.get(s.at);
      if (!point) {
        point = { at: s.at, active: null, signIns: 0, failures: 0, load: null, commit: null };
        byAt.set(s.at, point);
      }
      point.active = higher(point.active, finite(s.activeSessions));
      point.signIns += (finite(s.signIns) || 0) * perMinute;
      point.failures += (finite(s.signInFailures) || 0) * perMinute;
      point.load = higher(point.load, finite(s.loadMillis));
      point.commit = higher(point.commit, finite(s.commitMillis));
    }
  }
  const points = [...byAt.values()].sort((x, y) => x.at - y.at);
  return { instances: live.length, intervalSeconds, points };
}

function renderCharts() {
  const { instances, intervalSeconds, points } = mergedHistory();
  const times = points.map((p) => p.at);
  const gapMs = intervalSeconds * 1500;
  const perMinute = intervalSeconds / 60;
  const total = (key) => Math.round(points.reduce((sum, p) => sum + p[key] * perMinute, 0));
  const signIns = total('signIns');
  const refused = total('failures');
  renderChart($('chart-active-sessions'), {
    title: 'Active sessions', times, gapMs,
    series: [{ name: 'Signed in', values: points.map((p) => p.active), className: 'chart-line-1' }],
  });
  renderChart($('chart-sign-ins'), {
    title: 'Sign-ins per minute', times, gapMs, unit: '/min', unitLabel: ' per minute', digits: 1,
    summary: `In all: ${numberFormat.format(signIns)} sign-in${signIns === 1 ? '' : 's'}, `
      + `${numberFormat.format(refused)} refused.`,
    series: [
      { name: 'Sign-ins', values: points.map((p) => p.signIns), className: 'chart-line-1' },
      { name: 'Refused', values: points.map((p) => p.failures), className: 'chart-line-2' },
    ],
  });
  renderChart($('chart-latency'), {
    title: 'Session load and commit time', times, gapMs, unit: ' ms', unitLabel: ' milliseconds', digits: 2,
    series: [
      { name: 'Load', values: points.map((p) => p.load), className: 'chart-line-1' },
      { name: 'Commit', values: points.map((p) => p.commit), className: 'chart-line-3' },
    ],
  });
  const from = instances === 1 ? 'From 1 instance' : `From ${numberFormat.format(instances)} instances`;
  $('charts-hint').textContent = instances === 0
    ? `No samples yet: one point every ${intervalSeconds} s, for the last 15 minutes.`
    : `${from}, one point per ${intervalSeconds} s, last 15 minutes.`;
}

async function loadHistory() {
  if (document.visibilityState === 'hidden') {
    return;
  }
  try {
    keepHistory(await api('GET', '/api/admin/stats/history'));
    historyFailure = '';
  } catch (e) {
    // With histories in hand the charts go on from the other instances; without, say why they stay empty.
    historyFailure = histories.size ? '' : `Charts unavailable: ${e.message}`;
  }
  renderCharts();
  const status = $('charts-status');
  if (status.textContent !== historyFailure) {
    say(status, historyFailure, historyFailure ? 'error' : undefined);
  }
}

function refreshStats() {
  return Promise.all([loadStats(), loadHistory()]);
}

// ---- users ----------------------------------------------------------------------------------------------------

const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 300;
// What the API accepts as a name prefix: characters of user names, at most 64.
const NAME_PART = /^[A-Za-z0-9._@-]{0,64}$/;

/**
 * The page of users shown: the name prefix searched for, the page's cursor (null for the first page) and the
 * position of its first user, the pages before it (for Previous), the cursor of the next page (null on the last) and
 * how many users the page shows. It changes only when a page has been loaded.
 */
const shown = { prefix: '', cursor: null, offset: 0, previous: [], next: null, count: 0 };
let usersLoad = 0;
let searchTimer = 0;

function userOf(entry) {
  return typeof entry === 'string' ? { username: entry, roles: [] } : entry;
}

/**
 * Loads and shows one page of users (by default the page shown, again). An answer that arrives after a newer load
 * started is dropped. Resolves to false when the page could not be loaded (the previous one stays, with a message).
 */
async function loadUsers(page = shown) {
  const status = $('users-status');
  const table = $('users-table');
  const load = ++usersLoad;
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (page.prefix) {
    query.set('prefix', page.prefix);
  }
  if (page.cursor) {
    query.set('cursor', page.cursor);
  }
  table.setAttribute('aria-busy', 'true');
  let answer;
  let total;
  try {
    [answer, total] = await Promise.all([api('GET', `/api/admin/users?${query}`), userCount(page.prefix)]);
  } catch (e) {
    if (load === usersLoad) {
      table.removeAttribute('aria-busy');
      say(status, `Users cannot be listed: ${e.message}`, 'error');
    }
    return false;
  }
  if (load !== usersLoad) {
    return false;
  }
  const users = listOf(answer, 'users').map(userOf);
  Object.assign(shown, {
    prefix: page.prefix,
    cursor: page.cursor,
    offset: page.offset,
    previous: page.previous,
    next: answer && typeof answer.next === 'string' && answer.next ? answer.next : null,
    count: users.length,
  });
  // The server's name order: pages continue one another, so the rows are not sorted again here.
  $('users-body').replaceChildren(...users.map(userRow));
  table.removeAttribute('aria-busy');
  $('users-range').textContent = rangeText(total);
  $('users-previous').disabled = shown.previous.length === 0;
  $('users-next').disabled = !shown.next;
  if (status.dataset.kind !== 'success') {
    say(status, '');
  }
  return true;
}

/** The number of users (for "of N"), or null when a search is on or the statistics cannot be read. */
async function userCount(prefix) {
  if (prefix) {
    return null;
  }
  try {
    const stats = await api('GET', '/api/admin/stats');
    return stats && Number.isInteger(stats.users) ? stats.users : null;
  } catch (e) {
    return null; // the range line does without the total
  }
}

/** "Users 26–50 of 249", "Users 26–50" when the total is unknown, or why the page is empty. */
function rangeText(total) {
  const search = shown.prefix ? ` whose name starts with “${shown.prefix}”` : '';
  if (shown.count === 0) {
    return shown.offset > 0 ? 'No more users.' : `No users${search}.`;
  }
  const first = shown.offset + 1;
  const last = shown.offset + shown.count;
  // On the last page the total is known exactly, search or not.
  const of = shown.next === null ? last : total !== null && total >= last ? total : null;
  const which = first === last ? `User ${numberFormat.format(first)}`
    : `Users ${numberFormat.format(first)}–${numberFormat.format(last)}`;
  return which + (of === null ? '' : ` of ${numberFormat.format(of)}`) + search;
}

async function nextPage() {
  if (!shown.next) {
    return;
  }
  await turnPage($('users-next'), {
    prefix: shown.prefix,
    cursor: shown.next,
    offset: shown.offset + shown.count,
    previous: [...shown.previous, { cursor: shown.cursor, offset: shown.offset }],
  });
}

async function previousPage() {
  const back = shown.previous.at(-1);
  if (!back) {
    return;
  }
  await turnPage($('users-previous'), {
    prefix: shown.prefix, cursor: back.cursor, offset: back.offset, previous: shown.previous.slice(0, -1),
  });
}

/** Loads another page; focus stays on the button pressed or, when it is now disabled, goes to the other one. */
async function turnPage(button, page) {
  const loaded = await loadUsers(page);
  const focus = document.activeElement;
  if (loaded && button.disabled && (focus === button || focus === document.body || !focus)) {
    const other = button.id === 'users-next' ? $('users-previous') : $('users-next');
    (other.disabled ? $('users-range') : other).focus();
  }
  await activity();
}

/** Shows the first page of the users whose name starts with the search box's text. */
async function search(event) {
  if (event) {
    event.preventDefault();
  }
  window.clearTimeout(searchTimer);
  const input = $('users-prefix');
  const error = $('users-prefix-error');
  const prefix = input.value.trim();
  if (!NAME_PART.test(prefix)) {
    const message = 'User names hold only letters, digits and . _ @ - (at most 64 of them).';
    input.setAttribute('aria-invalid', 'true');
    if (error.textContent !== message) {
      say(error, message, 'error');
    }
    return;
  }
  input.removeAttribute('aria-invalid');
  say(error, '');
  if (!event && prefix === shown.prefix) {
    return; // typing that did not change the search (a space at either end)
  }
  say($('users-status'), '');
  await loadUsers({ prefix, cursor: null, offset: 0, previous: [] });
  await activity();
}

/** Shows the users whose name starts with `prefix`, with the search box saying so. */
async function searchFor(prefix) {
  $('users-prefix').value = prefix;
  $('users-prefix').removeAttribute('aria-invalid');
  say($('users-prefix-error'), '');
  await loadUsers({ prefix, cursor: null, offset: 0, previous: [] });
}

function userRow(user) {
  const name = user.username;
  const self = me && name === me.username;
  return el('tr', { dataset: { username: name } },
    cell('th', 'User', { scope: 'row' }, name, self ? el('span', { class: 'tag tag-current' }, 'you') : null),
    cell('td', 'Roles', {},
      el('span', { class: 'tags' }, ...(user.roles || []).map((role) => el('span', { class: 'tag' }, role)))),
    cell('td', 'Actions', { class: 'cell-action' },
      el('button', {
        type: 'button', class: 'ghost small', 'aria-label': `Sessions of ${name}`,
        onclick: () => showSessions(name),
      }, 'Sessions'),
      ' ',
      el('button', {
        type: 'button', class: 'danger small', 'aria-label': `Delete ${name}`,
        disabled: self, title: self ? 'You cannot delete your own account here.' : false,
        onclick: (event) => deleteUser(name, event.currentTarget),
      }, 'Delete')));
}

function confirmDialog(title, text, okLabel) {
  const dialog = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}

async function deleteUser(name, button) {
  const status = $('users-status');
  if (!await confirmDialog(`Delete ${name}?`,
    `The account ${name} and all of its sessions will be removed. This cannot be undone.`, `Delete ${name}`)) {
    button.focus();
    return;
  }
  try {
    await busy(button, () => api('DELETE', `/api/admin/users/${encodeURIComponent(name)}`));
    say(status, `User ${name} was deleted.`, 'success');
    if (selectedUser === name) {
      closeSessions();
    }
  } catch (e) {
    say(status, e.status === 404 ? `User ${name} no longer exists.` : e.message, 'error');
  }
  await loadUsers();
  if (shown.count === 0 && shown.previous.length > 0) {
    await previousPage(); // the page's last user was deleted
  }
  await activity();
  $('refresh-users').focus();
}

async function createUser(event) {
  event.preventDefault();
  const username = $('new-username');
  const password = $('new-user-password');
  const error = $('create-error');
  const ok = $('create-ok');
  say(error, '');
  say(ok, '');
  username.removeAttribute('aria-invalid');
  password.removeAttribute('aria-invalid');
  const roles = [...document.querySelectorAll('#create-user-form input[name="roles"]:checked')].map((i) => i.value);
  const name = username.value.trim();
  const problem = !name ? [username, 'Enter a user name.']
    : !password.value ? [password, 'Enter a password.']
      : roles.length === 0 ? [$('role-user'), 'Choose at least one role.']
        : null;
  if (problem) {
    problem[0].setAttribute('aria-invalid', 'true');
    say(error, problem[1], 'error');
    problem[0].focus();
    return;
  }
  try {
    await busy($('create-submit'), () => api('POST', '/api/admin/users',
      { username: name, password: password.value, roles }));
    $('create-user-form').reset();
    say(ok, `User ${name} was created.`, 'success');
    // The new user may be on any page: search for it, so that the list shows it (clearing the search shows all).
    await searchFor(name);
    await activity();
  } catch (e) {
    const message = e.status === 409 ? `A user named ${name} already exists.` : e.message;
    const field = e.status === 400 && /password/i.test(e.message) ? password : username;
    field.setAttribute('aria-invalid', 'true');
    say(error, message, 'error');
    field.focus();
  }
}

// ---- one user's sessions --------------------------------------------------------------------------------------

async function showSessions(name) {
  selectedUser = name;
  $('user-sessions-name').textContent = name;
  $('revoke-user-sessions').textContent = `Sign out all sessions of ${name}`;
  $('user-sessions').hidden = false;
  say($('user-sessions-status'), '');
  await loadUserSessions();
  await loadUserActivity();
  $('user-sessions-title').focus();
  await activity();
}

async function loadUserActivity() {
  await showActivity(`/api/admin/users/${encodeURIComponent(selectedUser)}/activity`,
    { body: $('user-activity-body'), status: $('user-activity-status'), more: $('user-activity-more') }, { admin: true });
}

async function loadUserSessions() {
  const name = selectedUser;
  const status = $('user-sessions-status');
  let sessions;
  try {
    sessions = listOf(await api('GET', `/api/admin/users/${encodeURIComponent(name)}/sessions`), 'sessions');
  } catch (e) {
    $('user-sessions-body').replaceChildren();
    say(status, e.status === 404 ? `User ${name} does not exist.` : e.message, 'error');
    return;
  }
  if (name !== selectedUser) {
    return;
  }
  sessions.sort((a, b) => String(b.lastAccessedAt).localeCompare(String(a.lastAccessedAt)));
  $('user-sessions-body').replaceChildren(...sessions.map((s) => el('tr', { dataset: { sessionId: s.id } },
    cell('td', 'Device', { title: s.userAgent || '' }, deviceName(s.userAgent),
      s.current ? el('span', { class: 'tag tag-current' }, 'this session') : null),
    cell('td', 'IP address', {}, s.ipAddress || '—'),
    cell('td', 'Signed in', {}, timeElement(s.createdAt)),
    cell('td', 'Last activity', {}, timeElement(s.lastAccessedAt)))));
  $('revoke-user-sessions').disabled = sessions.length === 0;
  if (sessions.length === 0 && status.dataset.kind !== 'success') {
    say(status, `${name} has no active session.`, 'info');
  }
}

async function revokeUserSessions() {
  const name = selectedUser;
  const button = $('revoke-user-sessions');
  try {
    await busy(button, () => api('DELETE', `/api/admin/users/${encodeURIComponent(name)}/sessions`));
    say($('user-sessions-status'), `All sessions of ${name} were signed out.`, 'success');
  } catch (e) {
    say($('user-sessions-status'), e.message, 'error');
  }
  await loadUserSessions();
  await loadUserActivity();
  await activity();
}

function closeSessions() {
  selectedUser = null;
  $('user-sessions').hidden = true;
}

async function main() {
  $('create-user-form').addEventListener('submit', createUser);
  $('users-search').addEventListener('submit', search);
  $('users-prefix').addEventListener('input', () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(search, SEARCH_DELAY_MS);
  });
  $('users-next').addEventListener('click', nextPage);
  $('users-previous').addEventListener('click', previousPage);
  $('refresh-users').addEventListener('click', async (event) => {
    say($('users-status'), '');
    await busy(event.currentTarget, async () => {
      await loadUsers();
      await activity();
    });
  });
  $('revoke-user-sessions').addEventListener('click', revokeUserSessions);
  askForPasswordWhenNeeded();
  $('close-user-sessions').addEventListener('click', () => {
    const name = selectedUser;
    closeSessions();
    const row = name && document.querySelector(`#users-body tr[data-username="${CSS.escape(name)}"] button`);
    (row || $('refresh-users')).focus();
  });
  try {
    me = await keeper.start();
    await Promise.all([loadUsers(), refreshStats()]);
    window.setInterval(refreshStats, STATS_EVERY_MS);
    document.addEventListener('visibilitychange', refreshStats);
  } catch (e) {
    say($('page-status'), e.message, 'error');
  } finally {
    ready();
  }
}

main();
