// The sign-in page: explains why the user is here (?reason=), signs in through the API, then returns to ?next=
// when that is a path on this site (never another origin: see safeNext) or goes to the account page.

import { api, safeNext } from './api.js';
import { $, say, busy, ready } from './ui.js';

/** The only texts the page shows for ?reason=: a fixed list, so a crafted link cannot put words on this page. */
const REASONS = {
  expired: 'Your session expired. Please sign in again.',
  revoked: 'You were signed out from another device.',
  signedout: 'You signed out.',
  logout: 'You signed out.',
  evicted: 'You were signed out because you signed in on too many devices.',
  password_changed: 'Your password was changed. Please sign in again.',
  user_deleted: 'Your account was removed.',
  rotated: 'Your session was renewed elsewhere. Please sign in again.',
  invalid: 'Your session could not be verified and was ended. Please sign in again.',
  ended: 'Your session ended. Please sign in again.',
};

const params = new URLSearchParams(window.location.search);
const next = safeNext(params.get('next'));
let retryTimer = null;

function showReason() {
  const reason = params.get('reason');
  const element = $('reason');
  if (reason && Object.hasOwn(REASONS, reason)) {
    say(element, REASONS[reason], reason === 'signedout' || reason === 'logout' ? 'info' : 'warning');
    element.dataset.reason = reason;
  } else if (next) {
    say(element, 'Please sign in to continue.', 'info');
  }
}

function throttled(seconds) {
  const button = $('login-submit');
  const error = $('login-error');
  let left = Math.max(1, seconds || 30);
  window.clearInterval(retryTimer);
  button.disabled = true;
  const show = () => say(error, `Too many attempts. Please wait ${left} second${left === 1 ? '' : 's'} and try again.`,
    'error');
  show();
  retryTimer = window.setInterval(() => {
    left -= 1;
    if (left <= 0) {
      window.clearInterval(retryTimer);
      button.disabled = false;
      say(error, 'You can try again now.', 'info');
    } else {
      show();
    }
  }, 1000);
}

async function signIn(event) {
  event.preventDefault();
  const username = $('username');
  const password = $('password');
  const error = $('login-error');
  say(error, '');
  username.removeAttribute('aria-invalid');
  password.removeAttribute('aria-invalid');
  if (!username.value.trim() || !password.value) {
    const field = username.value.trim() ? password : username;
    field.setAttribute('aria-invalid', 'true');
    say(error, 'Enter your user name and password.', 'error');
    field.focus();
    return;
  }
  try {
    await busy($('login-submit'), () => api('POST', '/api/auth/login',
      { username: username.value.trim(), password: password.value }, { redirectOn401: false }));
  } catch (e) {
    if (e.status === 429) {
      throttled(e.retryAfter);
    } else if (e.status === 401) {
      say(error, 'Wrong user name or password.', 'error');
      password.setAttribute('aria-invalid', 'true');
    } else {
      say(error, e.message, 'error');
    }
    password.value = '';
    password.focus();
    return;
  }
  window.location.replace(next || '/account');
}

showReason();
$('login-form').addEventListener('submit', signIn);
ready();
