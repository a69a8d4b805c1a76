package org.redsession.session;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One request's changes to one session, applied by {@link SessionStore#save} in a single round trip (two when a
 * sign-in moves an anonymous session into its user's slot, see {@code retiredKey}).
 *
 * @param key          where the session is written
 * @param retiredKey   when the id was rotated in this request and the session already existed: the old key, which
 *                     is replaced by a tombstone ("rotated"). With {@code create} false its fields move to {@code key}
 *                     inside one script (same slot tag); with {@code create} true {@code set} carries every field
 *                     and the old key is retired in a second call (different slot tags); else null
 * @param create       true when {@code key} does not exist in the store yet
 * @param set          fields to write (metadata and encoded attributes)
 * @param remove       fields to delete
 * @param increments   integer attributes to add to atomically (field to delta); their new values are returned
 * @param ttlMillis    time to live of the session key after this write (never beyond the absolute deadline)
 * @param user         the signed-in user of the session after this write, or null; the store keeps the user's
 *                     session index in step and refuses to write a session revoked for that user
 * @param loginTime    the session's sign-in time (epoch ms), compared with the user's revocation time; 0 if none
 * @param creator      for the creation of an anonymous session: the client that creates it, whose recent creations
 *                     the store counts and limits (the session's key is in the client's slot); else null
 * @param audit        the event this write records in its user's audit trail (a sign-in, a rotation), written in
 *                     the same round trip; for a sign-in the store also records the sessions it evicts and marks a new
 *                     device; null for the writes of ordinary requests
 */
public record SessionWrite(SessionKey key, SessionKey retiredKey, boolean create, Map<String, String> set,
        Set<String> remove, Map<String, Long> increments, long ttlMillis, UserRef user, long loginTime,
        ClientRef creator, AuditEvent audit) {

    /** A write without an audit event. */
    public SessionWrite(SessionKey key, SessionKey retiredKey, boolean create, Map<String, String> set,
            Set<String> remove, Map<String, Long> increments, long ttlMillis, UserRef user, long loginTime,
            ClientRef creator) {
        this(key, retiredKey, create, set, remove, increments, ttlMillis, user, loginTime, creator, null);
    }

    /** A write without a creation limit. */
    public SessionWrite(SessionKey key, SessionKey retiredKey, boolean create, Map<String, String> set,
            Set<String> remove, Map<String, Long> increments, long ttlMillis, UserRef user, long loginTime) {
        this(key, retiredKey, create, set, remove, increments, ttlMillis, user, loginTime, null);
    }

    public SessionWrite {
        Objects.requireNonNull(key, "key");
        set = Map.copyOf(set);
        remove = Set.copyOf(remove);
        increments = Map.copyOf(increments);
        if (ttlMillis <= 0) {
            throw new IllegalArgumentException("ttlMillis must be positive, was " + ttlMillis);
        }
        if (audit != null && user == null) {
            throw new IllegalArgumentException("an audit event is only recorded for a signed-in session");
        }
        if (creator != null && !(create && retiredKey == null && user == null && creator.tag().equals(key.tag()))) {
            throw new IllegalArgumentException("a creator is only given for a new anonymous session in its slot");
        }
    }

    /** True when this write creates an anonymous session (one that no sign-in carried into its user's slot). */
    public boolean createsAnonymousSession() {
        return create && retiredKey == null && user == null;
    }

    /** This write with the client that creates the anonymous session. */
    public SessionWrite withCreator(ClientRef client) {
        return new SessionWrite(key, retiredKey, create, set, remove, increments, ttlMillis, user, loginTime, client,
                audit);
    }

    /** This write recording {@code event} in its user's audit trail. */
    public SessionWrite withAudit(AuditEvent event) {
        return new SessionWrite(key, retiredKey, create, set, remove, increments, ttlMillis, user, loginTime, creator,
                event);
    }
}
