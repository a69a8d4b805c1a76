package org.redsession.session;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The session handling of one HTTP request: resolves the cookie, loads the session at most once, applies sign-in,
 * rotation and invalidation, and commits all changes in one store round trip at the end.
 *
 * <p>It is shared by everything that handles the request through the request attribute {@link #ATTRIBUTE}: the
 * authentication mechanism (which runs before any servlet filter) creates it, the session filter reuses it, so a
 * request never loads its session twice. Not for use by several requests.
 */
public final class RequestSession {
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
    private SessionStoreUnavailableException storeFailure;
    private SessionState current;
    private String goneReason;
    private boolean cookieMustChange;
    private boolean requestedSessionEnded;
    private SessionEvents listener = SessionEvents.NONE;

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
                    result = manager.store().load(key);
                } catch (SessionStoreUnavailableException e) {
                    storeFailure = e;
                    throw e;
                }
                if (result.isFound()) {
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
                    requestedSessionEnded = true;
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

    /** Why the requested session ended ("expired", "logout", "revoked", ...), or null if it did not. */
    public String goneReason() {
        current();
        return goneReason;
    }

    public Status status() {
        SessionState s = current();
        if (s != null) {
            return s.identity().isPresent() ? Status.AUTHENTICATED : Status.ANONYMOUS;
        }
        return requestedSessionEnded || (requestedId != null && goneReason != null) ? Status.ENDED : Status.NO_SESSION;
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
            String id = manager.ids().newId();
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
        listener.idChanged(s, oldId);
        manager.events().idChanged(s, oldId);
        return newId;
    }

    /**
     * Signs a user in: the session (created if needed) gets a new id, the identity and a new CSRF token. The old
     * id stops working at once when the request commits, so a fixated id never becomes a signed-in session.
     */
    public SessionState login(String username, Set<String> roles) {
        SessionState s = current();
        if (s == null) {
            s = getOrCreate();
        } else {
            changeId();
        }
        s.setIdentity(new SessionIdentity(username, roles), manager.ids().newToken());
        s.markAccessed();
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
            manager.store().delete(stored, reason);
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
     */
    public CookieChange commit() {
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
        boolean created = w.get().create();
        Optional<Map<String, String>> result = manager.store().save(w.get());
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
