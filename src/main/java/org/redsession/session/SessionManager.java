package org.redsession.session;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Entry point of the session layer: turns a request's session cookie into a {@link RequestSession}. Holds the
 * collaborators every session needs. Thread-safe; one instance per application.
 */
public final class SessionManager {
    private final SessionStore store;
    private final SessionIds ids;
    private final AttributeCodec codec;
    private final SessionPolicy policy;
    private final SessionEvents events;
    private final Clock clock;
    private final String cookieName;

    public SessionManager(SessionStore store, SessionIds ids, AttributeCodec codec, SessionPolicy policy,
            SessionEvents events, Clock clock, String cookieName) {
        this.cookieName = Objects.requireNonNull(cookieName, "cookieName");
        this.store = Objects.requireNonNull(store, "store");
        this.ids = Objects.requireNonNull(ids, "ids");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.events = Objects.requireNonNull(events, "events");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Starts the session handling of one request. Nothing is loaded until the session is first needed.
     *
     * @param cookieValues the values of every session cookie the request carried (usually zero or one)
     */
    public RequestSession open(List<String> cookieValues) {
        String id = null;
        boolean rejected = false;
        if (cookieValues.size() > 1) {
            // Several session cookies (e.g. one planted for a parent domain): trust none of them.
            rejected = true;
        } else if (cookieValues.size() == 1) {
            id = ids.verify(cookieValues.get(0)).orElse(null);
            rejected = id == null;
        }
        long now = clock.millis();
        if (rejected) {
            events.cookieRejected();
            AuditLog.cookieRejected(now);
        }
        return new RequestSession(this, id, rejected, now);
    }

    /**
     * The request's {@link RequestSession}: the one already kept in its attributes, or a new one opened from its
     * {@code Cookie} headers and kept there. Used by the authentication mechanism and the session filter alike.
     *
     * @param attributes   reads a request attribute
     * @param setAttribute sets a request attribute
     * @param cookieHeaders the raw values of the request's {@code Cookie} headers
     */
    public RequestSession forRequest(Function<String, Object> attributes, BiConsumer<String, Object> setAttribute,
            Supplier<List<String>> cookieHeaders) {
        Optional<RequestSession> existing = RequestSession.from(attributes);
        if (existing.isPresent()) {
            return existing.get();
        }
        RequestSession rs = open(cookieValues(cookieHeaders.get(), cookieName));
        setAttribute.accept(RequestSession.ATTRIBUTE, rs);
        return rs;
    }

    /** Every value of the cookie {@code name} in the given {@code Cookie} header values. */
    static List<String> cookieValues(List<String> headers, String name) {
        List<String> values = new ArrayList<>();
        for (String header : headers) {
            if (header == null) {
                continue;
            }
            for (String pair : header.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                    String v = pair.substring(eq + 1).trim();
                    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                        v = v.substring(1, v.length() - 1);
                    }
                    values.add(v);
                }
            }
        }
        return values;
    }

    /** The live sessions of a user (from the user's index). */
    public List<SessionSummary> sessionsOf(String username) {
        return store.sessionsOf(ids.userRef(username));
    }

    /**
     * Ends one session of a user.
     *
     * @param handle the opaque handle from {@link #sessionsOf}
     * @return false when the handle does not name a live session of that user
     */
    public boolean revoke(String username, String handle, String reason) {
        return revoke(username, handle, reason, null);
    }

    /**
     * Like {@link #revoke(String, String, String)}, recorded in the user's audit trail with who did it.
     *
     * @param actor the administrator who ends it, or null when it is the user
     */
    public boolean revoke(String username, String handle, String reason, String actor) {
        if (handle == null || !handle.matches("[A-Za-z0-9_-]{16}")) {
            return false;
        }
        boolean done = store.revoke(ids.userRef(username), handle, reason,
                AuditEvent.of(clock.millis(), AuditEvent.REVOKED, username, handle, reason, actor));
        if (done) {
            events.revoked(1);
        }
        return done;
    }

    /** Ends every session of a user at once (also sessions the index missed). @return sessions deleted */
    public int revokeAll(String username, String reason) {
        return revokeAll(username, reason, null);
    }

    /**
     * Like {@link #revokeAll(String, String)}, recorded in the user's audit trail with who did it.
     *
     * @param actor the administrator who ends them, or null when it is the user
     */
    public int revokeAll(String username, String reason, String actor) {
        long now = clock.millis();
        int n = store.revokeAll(ids.userRef(username), now, reason, null,
                AuditEvent.of(now, AuditEvent.ALL_REVOKED, username, null, reason, actor));
        events.revoked(n);
        return n;
    }

    /**
     * Records a failed sign-in in the account's audit trail (only if the account exists).
     *
     * @param address the client's address, may be null
     * @param userAgent the client's User-Agent, may be null
     */
    public void recordFailedSignIn(String username, String address, String userAgent) {
        store.recordFailedSignIn(ids.userRef(username),
                AuditEvent.of(clock.millis(), AuditEvent.SIGN_IN_FAILED, username, null, null, null)
                        .from(address, userAgent));
    }

    /** The user's audit trail, newest first (bounded by the store's count and age limits). */
    public List<AuditEvent> activity(String username) {
        return store.activity(ids.userRef(username));
    }

    /** The number of signed-in sessions of all users (a fixed number of store reads, whatever the number of users). */
    /** See {@link SessionStore#awaitWritesVisible()}. */
    public void awaitWritesVisible() {
        store.awaitWritesVisible();
    }

    /** See {@link SessionStore#writeFenceNanos()}. */
    public long writeFenceNanos() {
        return store.writeFenceNanos();
    }

    public long countSignedIn() {
        return store.countSignedIn();
    }

    /**
     * Runs one expiry sweep (see {@link SessionStore#sweepExpired}): every session that ended by timeout since the
     * last sweep is handed to {@code announce} once, across all instances.
     *
     * @param owner names this instance
     * @return the number of sessions announced by this instance
     */
    public int sweepExpired(String owner, Consumer<ExpiredSession> announce) {
        return store.sweepExpired(owner, e -> announce.accept(expiredView(e)));
    }

    private ExpiredSession expiredView(SessionStore.ExpiredSession e) {
        Map<String, String> f = e.fields();
        Map<String, Object> attributes = new TreeMap<>();
        for (Map.Entry<String, String> field : f.entrySet()) {
            if (field.getKey().startsWith(Fields.ATTRIBUTE_PREFIX)) {
                try {
                    attributes.put(field.getKey().substring(Fields.ATTRIBUTE_PREFIX.length()), codec.decode(field.getValue()));
                } catch (AttributeCodec.UnreadableAttributeException ex) {
                    events.attributeQuarantined();
                }
            }
        }
        long created = number(f.get(Fields.CREATED));
        long lastAccess = f.containsKey(Fields.LAST_ACCESS) ? number(f.get(Fields.LAST_ACCESS)) : created;
        int maxInactive = f.containsKey(Fields.MAX_INACTIVE) ? (int) number(f.get(Fields.MAX_INACTIVE))
                : (int) (e.username() == null ? policy.anonymousIdleTimeout() : policy.idleTimeout()).toSeconds();
        return new ExpiredSession(handleOf(e.key()), e.username(), created, lastAccess, maxInactive, attributes);
    }

    private static long number(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The opaque handle of a session key, as {@link #sessionsOf} reports it. */
    public static String handleOf(SessionKey key) {
        return key.hash();
    }

    /** A keyed, irreversible hash of any text (an account name, a client address) for use in store keys. */
    public String opaque(String text) {
        return ids.opaque(text);
    }

    long clockMillis() {
        return clock.millis();
    }

    SessionStore store() {
        return store;
    }

    SessionIds ids() {
        return ids;
    }

    AttributeCodec codec() {
        return codec;
    }

    public SessionPolicy policy() {
        return policy;
    }

    SessionEvents events() {
        return events;
    }
}
