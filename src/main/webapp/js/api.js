// The JSON API client shared by the pages: CSRF header, error objects, and the one rule of graceful expiry:
// a 401 `session_expired` / `not_authenticated` from any call takes the browser to the sign-in page with the
// reason and `next` = the page it was on.

/** An error answer of the API: HTTP status, the `error` code and the `message` for people. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || 'http_' + status;
    this.retryAfter = retryAfter;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SIGNED_OUT_CODES = new Set(['session_expired', 'not_authenticated']);
let csrfToken = null;
let leaving = false;
let reauthenticate = null;

/**
 * Registers how the page asks for the password again when an action needs a recent sign-in (401
 * `reauthentication_required`, `security.reauth-max-age`): a function returning a Promise of true once the user has
 * re-authenticated (the call is then repeated once), false if they cancelled (the error goes to the caller).
 */
export function onReauthenticationRequired(handler) {
  reauthenticate = handler;
}

/** Remembers the session's CSRF token (from the sign-in answer or GET /api/session). */
export function setCsrfToken(token) {
  csrfToken = token || null;
}

/**
 * Calls the API and returns the parsed JSON body (null for 204). Throws ApiError for any other answer. A 401 that
 * says the session is gone never returns: the browser goes to the sign-in page. A 403 `csrf_token_invalid` is
 * retried once with a fresh token, and a 401 for a session id renewed meanwhile once with the browser's new cookie.
 *
 * options.redirectOn401 = false leaves every 401 to the caller (the sign-in form).
 */
export async function api(method, path, body, options = {}) {
  const response = await send(method, path, body);
  if (response.ok) {
    return response.status === 204 ? null : parse(response);
  }
  const error = await toError(response);
  if (error.status === 403 && error.code === 'csrf_token_invalid' && !options.retried && UNSAFE.has(method)) {
    await refreshCsrfToken();
    return api(method, path, body, { ...options, retried: true });
  }
  if (error.status === 401 && error.code === 'reauthentication_required' && reauthenticate && !options.reauthenticated) {
    if (await reauthenticate()) {
      return api(method, path, body, { ...options, reauthenticated: true });
    }
    throw error;
  }
  if (error.status === 401 && reasonOf(error) === 'rotated' && !options.afterRotation) {
    // This browser's own request renewed the session id (sign out everywhere else, password change) while this
    // one was on its way with the old cookie: the new cookie arrives with that request's answer, so ask again once,
    // a moment later.
    await new Promise((resolve) => { window.setTimeout(resolve, 500); });
    return api(method, path, body, { ...options, afterRotation: true });
  }
  if (error.status === 401 && SIGNED_OUT_CODES.has(error.code) && options.redirectOn401 !== false) {
    goToSignIn(reasonOf(error));
    return new Promise(() => {}); // the page is being replaced
  }
  throw error;
}

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (UNSAFE.has(method) && csrfToken) {
    headers['X-CSRF-Token'] = csrfToken;
  }
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch (e) {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection and try again.');
  }
}

async function parse(response) {
  const text = await response.text();
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(response.status, 'invalid_response', 'The server sent an unexpected answer.');
  }
}

async function toError(response) {
  let body = null;
  try {
    body = JSON.parse(await response.text());
  } catch (e) {
    body = null;
  }
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') || '', 10);
  const fallback = response.status === 503
    ? 'The service is temporarily unavailable. Please try again shortly.'
    : `Request failed (${response.status}).`;
  const error = new ApiError(response.status, body && body.error, (body && body.message) || fallback,
    Number.isFinite(retryAfter) ? retryAfter : undefined);
  error.reason = body && typeof body.reason === 'string' ? body.reason : undefined;
  return error;
}

async function refreshCsrfToken() {
  const info = await api('GET', '/api/session', undefined, { retried: true });
  setCsrfToken(info && info.csrfToken);
}

/**
 * The sign-in page's reason code for a 401: the body's `reason` when the API sends one, else recognised from the
 * message of `session_expired` (the API explains there why the session ended). Empty for "not signed in".
 */
export function reasonOf(error) {
  if (error.code !== 'session_expired') {
    return '';
  }
  const known = ['expired', 'signedout', 'logout', 'revoked', 'evicted', 'password_changed', 'user_deleted', 'rotated',
    'invalid'];
  if (error.reason && known.includes(error.reason)) {
    return error.reason === 'logout' ? 'signedout' : error.reason;
  }
  const m = (error.message || '').toLowerCase();
  if (m.includes('another device')) return 'revoked';
  if (m.includes('too many devices')) return 'evicted';
  if (m.includes('password was changed')) return 'password_changed';
  if (m.includes('account was removed')) return 'user_deleted';
  if (m.includes('renewed elsewhere')) return 'rotated';
  if (m.includes('could not be verified')) return 'invalid';
  if (m.includes('you signed out')) return 'signedout';
  if (m.includes('expired')) return 'expired';
  return 'ended';
}

/** The current page as a `next` value: path and query. */
export function currentPlace() {
  return window.location.pathname + window.location.search;
}

/** Replaces the page with the sign-in page (once), telling it why and where to come back to. */
export function goToSignIn(reason, next = currentPlace()) {
  if (leaving) {
    return;
  }
  leaving = true;
  const params = new URLSearchParams();
  if (reason) {
    params.set('reason', reason);
  }
  const safe = safeNext(next);
  if (safe) {
    params.set('next', safe);
  }
  const query = params.toString();
  window.location.replace('/login' + (query ? '?' + query : ''));
}

/** True once the page is being replaced by the sign-in page (timers should stop). */
export function isLeaving() {
  return leaving;
}

/**
 * `next` if it is a safe place to return to after signing in: a path on this origin starting with a single '/'
 * (never '//host', '/\host', a scheme, spaces or control characters) other than the sign-in page; else null.
 */
export function safeNext(next) {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048 || next[0] !== '/') {
    return null;
  }
  if (next[1] === '/' || next[1] === '\\' || /[\u0000-\u0020\u007f\\]/.test(next)) {
    return null;
  }
  let url;
  try {
    url = new URL(next, window.location.origin);
  } catch (e) {
    return null;
  }
  if (url.origin !== window.location.origin || url.pathname === '/login') {
    return null;
  }
  return url.pathname + url.search + url.hash;
}
