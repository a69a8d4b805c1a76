// The admin page: live statistics, users (list, create, delete), one user's sessions (list, sign out all).

import { api } from './api.js';
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

// ---- users ----------------------------------------------------------------------------------------------------

function userOf(entry) {
  return typeof entry === 'string' ? { username: entry, roles: [] } : entry;
}

async function loadUsers() {
  const status = $('users-status');
  let users;
  try {
    users = listOf(await api('GET', '/api/admin/users'), 'users').map(userOf);
  } catch (e) {
    say(status, `Users cannot be listed: ${e.message}`, 'error');
    return;
  }
  users.sort((a, b) => String(a.username).localeCompare(String(b.username)));
  $('users-body').replaceChildren(...users.map(userRow));
  if (status.dataset.kind !== 'success') {
    say(status, '');
  }
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
    await loadUsers();
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
  $('user-sessions-title').focus();
  await activity();
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
  await activity();
}

function closeSessions() {
  selectedUser = null;
  $('user-sessions').hidden = true;
}

async function main() {
  $('create-user-form').addEventListener('submit', createUser);
  $('refresh-users').addEventListener('click', async (event) => {
    say($('users-status'), '');
    await busy(event.currentTarget, async () => {
      await loadUsers();
      await activity();
    });
  });
  $('revoke-user-sessions').addEventListener('click', revokeUserSessions);
  $('close-user-sessions').addEventListener('click', () => {
    const name = selectedUser;
    closeSessions();
    const row = name && document.querySelector(`#users-body tr[data-username="${CSS.escape(name)}"] button`);
    (row || $('refresh-users')).focus();
  });
  try {
    me = await keeper.start();
    await Promise.all([loadUsers(), loadStats()]);
    window.setInterval(loadStats, STATS_EVERY_MS);
    document.addEventListener('visibilitychange', loadStats);
  } catch (e) {
    say($('page-status'), e.message, 'error');
  } finally {
    ready();
  }
}

main();
