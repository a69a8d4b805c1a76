// The account page: this session's facts and countdowns, the user's devices, password change.

import { api } from './api.js';
import { showActivity } from './activity.js';
import { askForPasswordWhenNeeded } from './reauth.js';
import { SessionKeeper } from './session.js';
import { $, cell, el, say, setTime, clock, spokenDuration, deviceName, listOf, busy, ready, timeElement } from './ui.js';

const keeper = new SessionKeeper({ onInfo: renderSession, onTick: renderCountdowns });

function renderSession(info) {
  $('s-username').textContent = info.username;
  const roles = $('s-roles');
  roles.replaceChildren(...(info.roles || []).map((role) => el('span', { class: 'tag' }, role)));
  setTime($('s-created'), info.createdAt);
  setTime($('s-last'), info.lastAccessedAt);
  setTime($('s-idle-at'), info.idleExpiresAt);
  setTime($('s-absolute-at'), info.absoluteExpiresAt);
}

function renderCountdowns(idleLeft, absoluteLeft) {
  for (const [id, ms] of [['s-idle-left', idleLeft], ['s-absolute-left', absoluteLeft]]) {
    const element = $(id);
    const text = clock(ms);
    if (element.textContent !== text) {
      element.textContent = text;
      element.title = spokenDuration(ms);
    }
  }
}

/** After something the user did: it counts as activity, so reload the deadlines (and the CSRF token). */
async function activity() {
  try {
    await keeper.refresh();
  } catch (e) {
    // a 401 already left the page; anything else shows up at the next check
  }
}

async function loadSessions() {
  const status = $('sessions-status');
  let sessions;
  try {
    sessions = listOf(await api('GET', '/api/me/sessions'), 'sessions');
  } catch (e) {
    say(status, `Your devices cannot be listed: ${e.message}`, 'error');
    return;
  }
  sessions.sort((a, b) => (b.current ? 1 : 0) - (a.current ? 1 : 0)
    || String(b.lastAccessedAt).localeCompare(String(a.lastAccessedAt)));
  $('sessions-body').replaceChildren(...sessions.map(sessionRow));
  const others = sessions.filter((s) => !s.current).length;
  $('sign-out-others').disabled = others === 0;
  if (status.dataset.kind !== 'success') {
    say(status, '');
  }
}

function sessionRow(session) {
  const device = deviceName(session.userAgent);
  const action = session.current
    ? el('span', { class: 'muted' }, 'Current session')
    : el('button', {
      type: 'button',
      class: 'danger small',
      'aria-label': `Sign out this device: ${device}, last active ${new Date(session.lastAccessedAt).toLocaleString()}`,
      onclick: (event) => revoke(session.id, event.currentTarget),
    }, 'Sign out this device');
  return el('tr', { dataset: { sessionId: session.id, current: String(Boolean(session.current)) } },
    cell('td', 'Device', { title: session.userAgent || '' },
      device, session.current ? el('span', { class: 'tag tag-current' }, 'This device') : null),
    cell('td', 'IP address', {}, session.ipAddress || '—'),
    cell('td', 'Signed in', {}, timeElement(session.createdAt)),
    cell('td', 'Last activity', {}, timeElement(session.lastAccessedAt)),
    cell('td', 'Action', { class: 'cell-action' }, action));
}

async function loadActivity() {
  await showActivity('/api/me/activity', { body: $('activity-body'), status: $('activity-status'), more: $('activity-more') });
}

async function revoke(id, button) {
  const status = $('sessions-status');
  try {
    await busy(button, () => api('DELETE', `/api/me/sessions/${encodeURIComponent(id)}`));
    say(status, 'That device was signed out.', 'success');
  } catch (e) {
    say(status, e.status === 404 ? 'That session had already ended.' : e.message, e.status === 404 ? 'info' : 'error');
  }
  await loadSessions();
  await loadActivity();
  await activity();
  $('refresh-sessions').focus();
}

async function signOutOthers() {
  const button = $('sign-out-others');
  const status = $('sessions-status');
  try {
    await busy(button, () => api('DELETE', '/api/me/sessions?scope=others'));
    say(status, 'All your other devices were signed out.', 'success');
  } catch (e) {
    say(status, e.message, 'error');
  }
  await loadSessions();
  await loadActivity();
  await activity();
}

async function changePassword(event) {
  event.preventDefault();
  const current = $('current-password');
  const fresh = $('new-password');
  const again = $('confirm-password');
  const error = $('password-error');
  const ok = $('password-ok');
  say(error, '');
  say(ok, '');
  for (const input of [current, fresh, again]) {
    input.removeAttribute('aria-invalid');
  }
  const problem = !current.value ? [current, 'Enter your current password.']
    : !fresh.value ? [fresh, 'Enter a new password.']
      : fresh.value !== again.value ? [again, 'The two new passwords are not the same.']
        : null;
  if (problem) {
    problem[0].setAttribute('aria-invalid', 'true');
    say(error, problem[1], 'error');
    problem[0].focus();
    return;
  }
  try {
    await busy($('password-submit'), () => api('POST', '/api/me/password',
      { currentPassword: current.value, newPassword: fresh.value }));
    $('password-form').reset();
    say(ok, 'Your password was changed. Your other devices were signed out.', 'success');
    await activity();
    await loadSessions();
    await loadActivity();
  } catch (e) {
    const field = e.status === 400 ? fresh : current;
    field.setAttribute('aria-invalid', 'true');
    say(error, e.message, 'error');
    field.focus();
  }
}

async function main() {
  $('refresh-sessions').addEventListener('click', async (event) => {
    say($('sessions-status'), '');
    await busy(event.currentTarget, async () => {
      await loadSessions();
      await loadActivity();
      await activity();
    });
  });
  $('sign-out-others').addEventListener('click', signOutOthers);
  $('password-form').addEventListener('submit', changePassword);
  try {
    askForPasswordWhenNeeded();
    await keeper.start();
    await loadSessions();
    await loadActivity();
  } catch (e) {
    say($('page-status'), e.message, 'error');
  } finally {
    ready();
  }
}

main();
