// "Recent activity": a user's audit trail (GET /api/me/activity, GET /api/admin/users/{u}/activity) as a table, one
// page at a time, newest first; a sign-in from a device or network not seen before is highlighted.

import { api } from './api.js';
import { cell, el, say, timeElement, busy } from './ui.js';

const WORDS = {
  signin: 'Signed in',
  signin_failed: 'Failed sign-in',
  reauthenticated: 'Confirmed password',
  signout: 'Signed out',
  rotated: 'Session renewed',
  revoked: 'Session ended',
  sessions_revoked: 'Other sessions ended',
  evicted: 'Signed out: too many devices',
  expired: 'Session expired',
  ended: 'Session ended',
};

const REASONS = {
  logout: 'signed out',
  revoked: 'ended by hand',
  password_changed: 'password changed',
  user_deleted: 'account removed',
  evicted: 'too many devices',
  expired: 'timed out',
  invalid: 'could not be verified',
};

/** What happened, in words. */
export function eventText(event) {
  const what = WORDS[event.event] || event.event;
  const reason = event.reason && !['signout', 'expired', 'evicted'].includes(event.event)
    ? ` (${REASONS[event.reason] || event.reason})` : '';
  return what + reason;
}

function row(event, { admin }) {
  const who = event.actor === 'system' ? 'automatic' : event.actor ? `by ${event.actor}` : (admin ? 'by the user' : 'by you');
  const what = el('span', {}, eventText(event));
  const flags = [];
  if (event.newDevice) {
    flags.push(el('span', { class: 'tag tag-new' }, 'New device'));
  }
  if (event.current) {
    flags.push(el('span', { class: 'tag tag-current' }, admin ? 'your session' : 'this session'));
  }
  return el('tr', { class: event.newDevice ? 'row-new-device' : '', dataset: { event: event.event } },
    cell('td', 'When', {}, timeElement(event.time)),
    cell('td', 'What', {}, what, ...flags),
    cell('td', 'Device', {}, event.userAgent || '—'),
    cell('td', 'Network', {}, event.network || '—'),
    cell('td', 'Who', {}, who),
    ...(admin ? [cell('td', 'Session', { class: 'mono' }, event.session || '—')] : []));
}

/**
 * Shows a trail in a table and keeps its "Show older" button working.
 *
 * @param url the activity endpoint
 * @param parts { body, status, more } elements; admin: show the session handle column
 */
export async function showActivity(url, parts, { admin = false } = {}) {
  let next = null;
  const load = async (append) => {
    const page = await api('GET', next && append ? `${url}?cursor=${encodeURIComponent(next)}` : url);
    const events = Array.isArray(page.events) ? page.events : [];
    const rows = events.map((e) => row(e, { admin }));
    if (append) {
      parts.body.append(...rows);
    } else {
      parts.body.replaceChildren(...rows);
    }
    next = page.next || null;
    parts.more.hidden = !next;
    if (!append && events.length === 0) {
      say(parts.status, 'No recent activity.', 'info');
    } else if (!append) {
      say(parts.status, '');
    }
  };
  parts.more.onclick = async (event) => {
    try {
      await busy(event.currentTarget, () => load(true));
    } catch (e) {
      say(parts.status, e.message, 'error');
    }
  };
  try {
    await load(false);
  } catch (e) {
    parts.body.replaceChildren();
    parts.more.hidden = true;
    say(parts.status, `Recent activity cannot be shown: ${e.message}`, 'error');
  }
}
