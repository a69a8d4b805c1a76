// Step-up (security.reauth-max-age): when an action needs a recent sign-in, the page asks for the password in a
// dialog (made here, the same on every page), re-authenticates (POST /api/auth/reauthenticate keeps the session and renews its id, CSRF
// token and sign-in time) and the action is sent again.

import { api, onReauthenticationRequired, setCsrfToken } from './api.js';
import { $, el, say } from './ui.js';

/** Makes every API call of this page that gets 401 `reauthentication_required` ask for the password once. */
export function askForPasswordWhenNeeded() {
  onReauthenticationRequired(askPasswordAgain);
}

/**
 * Step-up: asks for the password again (POST /api/auth/reauthenticate keeps the session and renews its id, CSRF token
 * and sign-in time). Resolves true once re-authenticated, false if cancelled.
 */
/** The dialog, added to the page's main element the first time it is needed. */
function reauthDialog() {
  const existing = document.getElementById('reauth-dialog');
  if (existing) {
    return existing;
  }
  const dialog = el('dialog', { id: 'reauth-dialog', 'aria-labelledby': 'reauth-title', 'aria-describedby': 'reauth-text' },
    el('form', { id: 'reauth-form', novalidate: true },
      el('h2', { id: 'reauth-title' }, 'Confirm it is you'),
      el('p', { id: 'reauth-text' }, 'This needs a recent sign-in. Enter your password again to continue.'),
      el('label', { for: 'reauth-password' }, 'Password'),
      el('input', { id: 'reauth-password', name: 'password', type: 'password', autocomplete: 'current-password',
        required: true }),
      el('p', { id: 'reauth-status', class: 'status', role: 'status', hidden: true }),
      el('div', { class: 'actions' },
        el('button', { id: 'reauth-cancel', type: 'button', class: 'ghost' }, 'Cancel'),
        el('button', { id: 'reauth-ok', type: 'submit' }, 'Continue'))));
  (document.querySelector('main') || document.body).append(dialog);
  return dialog;
}

function askPasswordAgain() {
  const dialog = reauthDialog();
  const form = $('reauth-form');
  const input = $('reauth-password');
  const status = $('reauth-status');
  input.value = '';
  say(status, '');
  return new Promise((resolve) => {
    const done = (result) => {
      form.removeEventListener('submit', submit);
      $('reauth-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('cancel', cancel);
      dialog.close();
      resolve(result);
    };
    const cancel = (event) => {
      event.preventDefault();
      done(false);
    };
    const submit = async (event) => {
      event.preventDefault();
      if (!input.value) {
        say(status, 'Enter your password.', 'error');
        input.focus();
        return;
      }
      try {
        const answer = await api('POST', '/api/auth/reauthenticate', { password: input.value }, { redirectOn401: false });
        setCsrfToken(answer && answer.csrfToken);
        done(true);
      } catch (e) {
        say(status, e.code === 'invalid_credentials' ? 'Wrong password. Try again.' : e.message, 'error');
        input.select();
      }
    };
    form.addEventListener('submit', submit);
    $('reauth-cancel').addEventListener('click', cancel);
    dialog.addEventListener('cancel', cancel);
    dialog.showModal();
    input.focus();
  });
}
