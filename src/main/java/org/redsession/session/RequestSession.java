package org.redsession.session;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The session handling of one HTTP request: resolves the cookie, loads the session at most once, applies sign-in,
 * rotation and invalidation, and commits all changes in one store round trip at the end.
 *
 * <p>It is shared by everything that handles the request through the request attribute {@link #ATTRIBUTE}: the
 * authentication mechanism (which runs before any servlet filter) creates it, the session filter reuses it, so a
 * request never loads its session twice. Not for use by several requests.
 */
public final class RequestSession {
    private static final Logger LOG = Logger.getLogger(RequestSession.class.getName());
    /** Request attribute under which the request's instance is kept. */
    public static final String ATTRIBUTE = RequestSession.class.getName();

    /** How the cookie must change on the response. */
    public sealed interface CookieChange {
        /** Set the cookie to this value. */
        record Set(String value) implements CookieChange {
        }

        /** Expire the cookie. */
        record Clear() implements CookieChange {
        }

        /** Leave it alone. */
        record None() implements CookieChange {
        }
    }

    /** What a request's credentials amount to. */
    public enum Status {
        /** No session cookie, or one that was forged or malformed. */
        NO_SESSION,
        /** The cookie named a session that has ended (expired, signed out, revoked). */
        ENDED,
        /** A live session without a signed-in user. */
        ANONYMOUS,
        /** A live session with a signed-in user. */
        AUTHENTICATED
    }

    private final SessionManager manager;
    private final String requestedId;
    private final boolean cookieRejected;
    private final long now;
    private boolean loaded;
    private int roundTrips;
    private boolean wrote;
    private SessionStoreUnavailableException storeFailure;
    private SessionState current;
    private String goneReason;
    private boolean cookieMustChange;
    private SessionEvents listener = SessionEvents.NONE;
    private Supplier<String> clientAddress;
    private ClientRef creator;
    /** The audit event the next write of the session records (a sign-in, a rotation), or null. */
    private AuditEvent pendingAudit;

    RequestSession(SessionManager manager, String requestedId, boolean cookieRejected, long now) {
        this.manager = manager;
        this.requestedId = requestedId;
        this.cookieRejected = cookieRejected;
        this.now = now;
    }

    /** The instance kept in a request's attributes, if any. */
    public static Optional<RequestSession> from(Function<String, Object> requestAttributes) {
        return Optional.ofNullable((RequestSession) requestAttributes.apply(ATTRIBUTE));
    }

    /** Adds a listener for this request's session events (the Servlet listeners of the web layer). */
    public void setListener(SessionEvents listener) {
        this.listener = listener == null ? SessionEvents.NONE : listener;
    }

    /**
     * Names the client of this request (its address, or the bucket rate limits count it in). A new anonymous session
     * is then created in the client's slot and counted against the client's creation limit in the store, in the same
     * round trip that stores it. Without it, new sessions are not limited.
     */
    public void setClientAddress(String address) {
        setClientAddress(() -> address);
    }

    /** Like {@link #setClientAddress(String)}, asked only if this request creates a session. */
    public void setClientAddress(Supplier<String> address) {
        this.clientAddress = address;
    }

    /** The verified id the client sent, or null. */
    public String requestedId() {
        return requestedId;
    }

    /** True when the client sent a session cookie that was not accepted (forged, malformed, several). */
    public boolean cookieRejected() {
        return cookieRejected;
    }

    public long now() {
        return now;
    }

    /**
     * The live session of this request, loading it on first use, or null.
     *
     * @throws SessionStoreUnavailableException if the store cannot be reached
     */
    public SessionState current() {
        if (storeFailure != null) {
            // Fail the same way for the rest of the request instead of waiting for the store again.
            throw storeFailure;
        }
        if (!loaded) {
            if (requestedId != null) {
                SessionKey key = manager.ids().keyOf(requestedId);
                SessionStore.Loaded result;
                try {
                    long start = System.nanoTime();
                    result = manager.store().load(key);
                    if (!result.cached()) {
                        roundTrips++;
                        manager.events().loaded(System.nanoTime() - start);
                    }
                } catch (SessionStoreUnavailableException e) {
                    storeFailure = e;
                    throw e;
                }
                String damage = result.isFound() ? SessionState.damage(result.fields(), now) : null;
                if (damage != null) {
                    quarantine(key, result.fields(), damage);
                } else if (result.isFound()) {
                    SessionState s = new SessionState(manager, requestedId, key, result.fields(), now);
                    if (now >= Math.min(s.absoluteDeadline(), s.lastAccessedAt() + s.maxInactiveSeconds() * 1000L)) {
                        // Deadline passed but the key's TTL has not fired yet (clock skew between instances).
                        goneReason = "expired";
                    } else {
                        current = s;
                    }
                } else {
                    goneReason = result.goneReason();
                }
                if (goneReason != null) {
                    // A cookie whose id was rotated away is left alone: the client may already hold the new one
                    // (a request that raced a sign-in), and clearing it would sign the user out.
                    cookieMustChange = !"rotated".equals(goneReason);
                    manager.events().foundGone(goneReason);
                }
            }
            loaded = true;
        }
        if (current != null && current.isInvalidated()) {
            return null;
        }
        return current;
    }

    /**
     * Ends a stored session whose metadata cannot be trusted (fail closed: never read as a new session), with the
     * reason {@code invalid}; logged once, with the session's handle, never its id.
     */
    private void quarantine(SessionKey key, Map<String, String> stored, String damage) {
        goneReason = "invalid";
        String username = stored.get(Fields.USER);
        UserRef user = username == null ? null : manager.ids().userRef(username);
        if (user != null && !user.tag().equals(key.tag())) {
            // A signed-in session always lives in its user's slot: this record names someone else (forged or
            // damaged). That user's keys are left alone (in a Redis Cluster they are in another slot anyway).
            user = null;
        }
        LOG.warning(() -> "Session " + SessionManager.handleOf(key) + " ended: damaged record (" + damage + ")");
        manager.events().sessionQuarantined();
        try {
            roundTrips++;
            wrote = true;
            manager.store().delete(key, user, "invalid", user == null ? null
                    : AuditEvent.of(now, AuditEvent.ENDED, user.username(), SessionManager.handleOf(key), "invalid",
                            "system"));
        } catch (SessionStoreUnavailableException e) {
            storeFailure = e;
            throw e;
        }
    }

    /** Why the requested session ended ("expired", "logout", "revoked", "invalid", ...), or null if it did not. */
    public String goneReason() {
        current();
        return goneReason;
    }

    public Status status() {
        SessionState s = current();
        if (s != null) {
            return s.identity().isPresent() ? Status.AUTHENTICATED : Status.ANONYMOUS;
        }
        return goneReason != null ? Status.ENDED : Status.NO_SESSION; // only ever set for a requested session
    }

    /** The signed-in identity, if the live session has one. */
    public Optional<SessionIdentity> identity() {
        SessionState s = current();
        return s == null ? Optional.empty() : s.identity();
    }

    /** The live session, creating a new one (with a fresh id) when there is none. */
    public SessionState getOrCreate() {
        SessionState s = current();
        if (s == null) {
            String address = clientAddress == null ? null : clientAddress.get();
            creator = address == null ? null : manager.ids().clientRef(address);
            String id = creator == null ? manager.ids().newId() : manager.ids().newIdIn(creator.tag());
            s = new SessionState(manager, id, manager.ids().keyOf(id), now);
            current = s;
            cookieMustChange = true;
            listener.created(s);
        }
        return s;
    }

    /**
     * Gives the live session a new id (the old id stops working when the request commits).
     *
     * @return the new id
     * @throws IllegalStateException if there is no session
     */
    public String changeId() {
        SessionState s = current();
        if (s == null) {
            throw new IllegalStateException("There is no session to change the id of");
        }
        String oldId = s.id();
        String newId = manager.ids().rotate(oldId);
        s.rotate(newId, manager.ids().keyOf(newId));
        cookieMustChange = true;
        s.identity().ifPresent(i -> pendingAudit = AuditEvent.of(now, AuditEvent.ROTATED, i.username(),
                SessionManager.handleOf(s.key()), null, null));
        listener.idChanged(s, oldId);
        manager.events().idChanged(s, oldId);
        return newId;
    }

    /**
     * Signs a user in: the session (created if needed) gets a new id in the user's slot, the identity, the client's
     * address and agent, and a new CSRF token, and is written at once. The old id stops working at once, so a
     * fixated id never becomes a signed-in session. Beyond the per-user limit the store ends the user's least
     * recently active sessions.
     *
     * @param ipAddress client address to show in "my sessions", may be null
     * @param userAgent client User-Agent, may be null
     */
    public SessionState login(String username, Set<String> roles, String ipAddress, String userAgent) {
        // The sign-in time is read now, not at the start of the request, so that a revocation that happened while
        // the credentials were being checked does not refuse the new session.
        long authTime = Math.max(now, manager.clockMillis());
        try {
            return signIn(username, roles, ipAddress, userAgent, authTime, false);
        } catch (SessionGoneException e) {
            // The session ended (e.g. signed out elsewhere) while these credentials were checked: start afresh.
            current = null;
            return signIn(username, roles, ipAddress, userAgent, authTime, false);
        }
    }

    /**
     * Ends every other session of the signed-in user (for example after a password change): the current session
     * gets a new id and stays signed in; every session signed in before now is refused from now on, even one the
     * user's index missed.
     *
     * @return the number of other sessions deleted
     * @throws IllegalStateException if the request has no signed-in session
     */
    public int revokeOthers(String reason) {
        SessionState s = current();
        SessionIdentity identity = s == null ? null : s.identity().orElse(null);
        if (identity == null) {
            throw new IllegalStateException("There is no signed-in session");
        }
        signIn(identity.username(), identity.roles(), null, null, now, true);
        UserRef user = manager.ids().userRef(identity.username());
        int revoked = manager.store().revokeAll(user, now, reason, current().key().hash(),
                AuditEvent.of(now, AuditEvent.ALL_REVOKED, identity.username(), null, reason, null));
        manager.events().revoked(revoked);
        return revoked;
    }

    /**
     * @param keepCsrfToken keep the session's CSRF token (same user, same privileges: the client holds the token and
     *                      the response may not carry a new one); a sign-in always gets a new token
     */
    private SessionState signIn(String username, Set<String> roles, String ipAddress, String userAgent, long authTime,
            boolean keepCsrfToken) {
        UserRef user = manager.ids().userRef(username);
        SessionState s = current();
        boolean again = s != null && s.identity().map(i -> i.username().equals(username)).orElse(false);
        if (s != null && s.identity().map(i -> !i.username().equals(username)).orElse(false)) {
            // Another user signs in on this browser: nothing of the previous user's session is carried over.
            invalidate("logout");
            s = null;
            current = null;
        }
        if (s == null) {
            String id = manager.ids().newIdFor(user);
            // Created by the sign-in: its creation time is the sign-in time (which then need not be stored apart).
            s = new SessionState(manager, id, manager.ids().keyOf(id), Math.max(now, authTime));
            current = s;
            listener.created(s);
        } else {
            String oldId = s.id();
            String newId = manager.ids().newIdFor(user);
            s.rotate(newId, manager.ids().keyOf(newId));
            listener.idChanged(s, oldId);
            manager.events().idChanged(s, oldId);
        }
        cookieMustChange = true;
        s.setIdentity(new SessionIdentity(username, roles), keepCsrfToken, authTime);
        s.setClient(ipAddress, userAgent);
        s.markAccessed();
        // A sign-in is recorded with the device it came from; ending the other sessions (keepCsrfToken) is recorded
        // by the revocation itself.
        pendingAudit = keepCsrfToken ? null
                : AuditEvent.of(authTime, again ? AuditEvent.REAUTHENTICATED : AuditEvent.SIGN_IN, username,
                        SessionManager.handleOf(s.key()), null, null).from(ipAddress, userAgent);
        write(s);
        return s;
    }

    /**
     * Ends the live session now (the store entry is deleted and a tombstone left with the reason); requests still
     * in flight cannot write it back. Does nothing without a session.
     */
    public void invalidate(String reason) {
        SessionState s = current();
        if (s == null) {
            return;
        }
        SessionKey stored = s.storedKey();
        if (stored != null) {
            UserRef user = s.identity().map(i -> manager.ids().userRef(i.username())).orElse(null);
            roundTrips++;
            wrote = true;
            manager.store().delete(stored, user, reason, user == null ? null
                    : AuditEvent.of(manager.clockMillis(), "logout".equals(reason) ? AuditEvent.SIGN_OUT
                            : AuditEvent.ENDED, user.username(), SessionManager.handleOf(stored), reason, null));
        }
        s.markInvalidated();
        cookieMustChange = true;
        listener.invalidated(s, reason);
        manager.events().invalidated(s, reason);
    }

    /**
     * Adds to an integer attribute atomically in the store and returns the new value. Pending changes of this
     * request are written in the same round trip. A missing attribute counts as 0.
     *
     * @throws SessionGoneException if the session ended meanwhile
     * @throws IllegalStateException if there is no session
     * @throws TooManyNewSessionsException if this creates an anonymous session the creation limit refuses
     */
    public long increment(String name, long delta) {
        SessionState s = current();
        if (s == null) {
            throw new IllegalStateException("There is no session");
        }
        s.addIncrement(name, delta);
        s.markAccessed();
        Map<String, String> values = write(s);
        Object value = manager.codec().decode(values.get(Fields.attribute(name)));
        return ((Number) value).longValue();
    }

    /**
     * Writes this request's changes: at most one store round trip, none when nothing changed.
     *
     * @return how the response must change the session cookie
     * @throws SessionStoreUnavailableException if the store cannot be reached
     * @throws TooManyNewSessionsException if a new anonymous session was refused by the creation limit
     */
    /**
     * Counts this request as activity of its session, if it loaded one: its idle deadline is refreshed at the commit
     * (at most once per touch interval). For requests that act (any unsafe method) without writing their session,
     * e.g. an administrator's actions: they keep their session alive as reads through {@code getSession} do, while a
     * read-only {@code GET /api/me} does not. Loads nothing.
     */
    public void countAsActivity() {
        if (loaded && current != null && !current.isInvalidated()) {
            current.markAccessed();
        }
    }

    /** Whether this request has written (or tried to write) its session to the store. */
    public boolean wrote() {
        return wrote;
    }

    public CookieChange commit() {
        try {
            return commitChanges();
        } finally {
            if (roundTrips > 0) {
                manager.events().requestDone(roundTrips);
            }
        }
    }

    private CookieChange commitChanges() {
        SessionState s = loaded ? current : null;
        if (s != null && !s.isInvalidated()) {
            try {
                write(s);
            } catch (SessionGoneException e) {
                // Ended elsewhere while this request ran (sign-out, rotation): nothing was written. The cookie is
                // left alone; the next request with it learns why the session ended.
                return new CookieChange.None();
            }
        }
        if (!cookieMustChange) {
            return new CookieChange.None();
        }
        if (s != null && !s.isInvalidated() && s.wasStored()) {
            if (s.isNew() || s.idChangedSinceLoad(requestedId)) {
                return new CookieChange.Set(manager.ids().sign(s.id()));
            }
            return new CookieChange.None();
        }
        return requestedId != null || cookieRejected ? new CookieChange.Clear() : new CookieChange.None();
    }

    private Map<String, String> write(SessionState s) {
        Optional<SessionWrite> w = s.pendingWrite();
        if (w.isEmpty()) {
            return Map.of();
        }
        if (creator != null && w.get().createsAnonymousSession() && creator.tag().equals(w.get().key().tag())) {
            w = Optional.of(w.get().withCreator(creator));
        }
        if (pendingAudit != null && w.get().user() != null) {
            // The rotation's or sign-in's handle is the key this write stores.
            w = Optional.of(w.get().withAudit(pendingAudit.withHandle(SessionManager.handleOf(w.get().key()))));
        }
        pendingAudit = null;
        boolean created = w.get().create() && w.get().retiredKey() == null;
        long start = System.nanoTime();
        roundTrips++;
        wrote = true;
        Optional<Map<String, String>> result;
        try {
            result = manager.store().save(w.get());
        } catch (TooManyNewSessionsException e) {
            // Nothing was stored: the session is dropped (no cookie), and the request fails with the exception.
            s.markInvalidated();
            manager.events().creationRefused();
            throw e;
        }
        manager.events().committed(System.nanoTime() - start);
        if (result.isEmpty()) {
            s.markInvalidated();
            throw new SessionGoneException(w.get().key());
        }
        s.written(result.get());
        if (created) {
            manager.events().created(s);
        }
        return result.get();
    }
}
