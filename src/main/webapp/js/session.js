// The signed-in pages' common frame: who is signed in (header), sign-out, and graceful expiry.
//
// Graceful expiry. GET /api/session refreshes the idle deadline and tells this page both deadlines; the page counts
// them down locally. Durations are taken relative to the answer's lastAccessedAt (the server's "now" for that
// call), so a browser clock that is off does not matter, and Date.now() keeps counting while a laptop sleeps.
// A warning with a live countdown and "Stay signed in" appears WARNING_LEAD = min(60 s, idle timeout / 2) before
// the idle deadline (one minute with real timeouts; 10 s with a 20 s test timeout). When the absolute deadline
// comes first the warning says so and offers no button: nothing can extend it. At the deadline the page asks
// GET /api/me (read-only, it never extends the session): a 401 takes the browser to the sign-in page with the
// reason; a 200 means the session was used meanwhile (another tab), so the page reloads the deadlines. Every
// CHECK_EVERY_MS the page also asks GET /api/me, so a session revoked elsewhere (another device, an administrator)
// leaves the page within seconds. Tabs of one browser share refreshes and sign-outs through a BroadcastChannel.

import { api, goToSignIn, isLeaving, setCsrfToken } from './api.js';
import { $, clock, spokenDuration, say } from './ui.js';

const MAX_WARNING_LEAD_MS = 60_000;
const CHECK_EVERY_MS = 10_000;
const TICK_MS = 250;
const DEADLINE_GRACE_MS = 1_000;
const DEADLINE_RECHECK_MS = 2_000;
const CHANNEL = 'redsession-session';

export class SessionKeeper {
  /**
   * @param {object} hooks onInfo(info): after every GET /api/session; onTick(idleLeftMs, absoluteLeftMs): 4 times a
   *   second.
   */
  constructor(hooks = {}) {
    this.hooks = hooks;
    this.info = null;
    this.idleAt = 0;
    this.absoluteAt = 0;
    this.idleTimeoutMs = 0;
    this.checking = false;
    this.lastDeadlineCheck = -Infinity;
    this.warningMode = null;
    this.channel = 'BroadcastChannel' in window ? new BroadcastChannel(CHANNEL) : null;
  }

  /** Loads the session (refreshing it), then keeps the countdown, the warning and the revocation check going. */
  async start() {
    const info = await this.refresh();
    this.wireWarning();
    this.wireHeader();
    if (this.channel) {
      this.channel.addEventListener('message', (event) => this.onMessage(event.data));
    }
    this.timer = window.setInterval(() => this.tick(), TICK_MS);
    this.checker = window.setInterval(() => this.check(), CHECK_EVERY_MS);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') {
        this.check();
      }
    });
    this.tick();
    return info;
  }

  /** GET /api/session: refreshes the idle deadline and reloads both deadlines and the CSRF token. */
  async refresh() {
    const info = await api('GET', '/api/session');
    this.apply(info);
    this.post({ type: 'deadlines', idleAt: this.idleAt, absoluteAt: this.absoluteAt, idleTimeoutMs: this.idleTimeoutMs });
    return info;
  }

  apply(info) {
    const serverNow = Date.parse(info.lastAccessedAt);
    const idleExpires = Date.parse(info.idleExpiresAt);
    const absoluteExpires = Date.parse(info.absoluteExpiresAt);
    const t = Date.now();
    this.idleAt = t + (idleExpires - serverNow);
    this.absoluteAt = t + (absoluteExpires - serverNow);
    if (idleExpires < absoluteExpires || !this.idleTimeoutMs) {
      // Right after a refresh the idle deadline is exactly one idle timeout away (unless the absolute one caps it).
      this.idleTimeoutMs = idleExpires - serverNow;
    }
    this.info = info;
    setCsrfToken(info.csrfToken);
    this.renderUser(info);
    if (this.hooks.onInfo) {
      this.hooks.onInfo(info);
    }
    this.tick();
  }

  idleLeft() {
    return this.idleAt - Date.now();
  }

  absoluteLeft() {
    return this.absoluteAt - Date.now();
  }

  /** How long before the idle deadline the warning appears: one minute, or half the idle timeout if shorter. */
  warningLead() {
    return Math.min(MAX_WARNING_LEAD_MS, this.idleTimeoutMs / 2);
  }

  tick() {
    if (!this.info || isLeaving()) {
      return;
    }
    const idleLeft = this.idleLeft();
    const absoluteLeft = this.absoluteLeft();
    if (this.hooks.onTick) {
      this.hooks.onTick(idleLeft, absoluteLeft);
    }
    const left = Math.min(idleLeft, absoluteLeft);
    const now = Date.now();
    if (left <= -DEADLINE_GRACE_MS && now - this.lastDeadlineCheck >= DEADLINE_RECHECK_MS) {
      this.lastDeadlineCheck = now;
      this.check(true);
    }
    const lead = this.warningLead();
    if (absoluteLeft <= idleLeft && absoluteLeft <= lead) {
      this.showWarning('absolute', absoluteLeft);
    } else if (idleLeft <= lead) {
      this.showWarning('idle', idleLeft);
    } else {
      this.hideWarning();
    }
  }

  /**
   * Asks GET /api/me whether the session still exists, without extending it. A 401 leaves for the sign-in page (the
   * API client does it). With `deadlinePassed`, a live session means it was used elsewhere: reload the deadlines.
   */
  async check(deadlinePassed = false) {
    if (this.checking || isLeaving()) {
      return;
    }
    this.checking = true;
    try {
      await api('GET', '/api/me');
      if (deadlinePassed) {
        await this.refresh();
      }
    } catch (e) {
      // Network trouble or 503: keep the page; the next check tries again.
    } finally {
      this.checking = false;
    }
  }

  wireWarning() {
    const stay = document.getElementById('stay-signed-in');
    if (stay) {
      stay.addEventListener('click', async () => {
        stay.disabled = true;
        try {
          await this.refresh();
          this.hideWarning();
          const status = document.getElementById('page-status');
          if (status) {
            say(status, 'You are still signed in.', 'success');
          }
        } catch (e) {
          say($('expiry-text'), e.message, 'error');
        } finally {
          stay.disabled = false;
        }
      });
    }
  }

  showWarning(mode, leftMs) {
    const banner = document.getElementById('expiry-warning');
    if (!banner) {
      return;
    }
    const countdown = $('expiry-countdown');
    countdown.textContent = clock(leftMs);
    countdown.title = spokenDuration(leftMs);
    if (this.warningMode === mode && !banner.hidden) {
      return;
    }
    this.warningMode = mode;
    banner.dataset.mode = mode;
    const stay = $('stay-signed-in');
    if (mode === 'idle') {
      $('expiry-title').textContent = 'Your session is about to expire';
      $('expiry-lead').textContent = 'You have been inactive. For your security you will be signed out in ';
      $('expiry-tail').textContent = ' unless you stay signed in.';
      stay.hidden = false;
    } else {
      $('expiry-title').textContent = 'Your session is ending';
      $('expiry-lead').textContent = 'Sessions last at most a fixed time. You will be signed out in ';
      $('expiry-tail').textContent = '; sign in again then to continue.';
      stay.hidden = true;
    }
    banner.hidden = false;
    const active = document.activeElement;
    if (mode === 'idle' && (!active || active === document.body)) {
      stay.focus();
    }
  }

  hideWarning() {
    const banner = document.getElementById('expiry-warning');
    if (banner && !banner.hidden) {
      banner.hidden = true;
    }
    this.warningMode = null;
  }

  renderUser(info) {
    const who = document.getElementById('header-user');
    if (who) {
      who.textContent = info.username;
    }
    const adminLink = document.getElementById('nav-admin');
    if (adminLink) {
      adminLink.hidden = !(info.roles || []).includes('admin');
    }
  }

  wireHeader() {
    const signOut = document.getElementById('sign-out');
    if (signOut) {
      signOut.addEventListener('click', () => this.signOut(signOut));
    }
  }

  async signOut(button) {
    button.disabled = true;
    try {
      await api('POST', '/api/auth/logout');
    } catch (e) {
      // Already gone or unreachable: the sign-in page is the right place either way.
    }
    this.post({ type: 'signedout' });
    goToSignIn('signedout', null);
  }

  onMessage(message) {
    if (!message || isLeaving()) {
      return;
    }
    if (message.type === 'signedout') {
      goToSignIn('signedout');
    } else if (message.type === 'deadlines') {
      this.idleAt = message.idleAt;
      this.absoluteAt = message.absoluteAt;
      if (message.idleTimeoutMs) {
        this.idleTimeoutMs = message.idleTimeoutMs;
      }
      this.tick();
    }
  }

  post(message) {
    if (this.channel) {
      this.channel.postMessage(message);
    }
  }
}
