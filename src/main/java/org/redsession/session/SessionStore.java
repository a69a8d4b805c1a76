package org.redsession.session;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The port between the session layer and its storage. Implementations throw {@link
 * SessionStoreUnavailableException} when the store cannot answer; they never report an error as "not found".
 * Loading and saving a session are one round trip each.
 */
public interface SessionStore {

    /**
     * Loads a session's fields, or learns why it is gone. A signed-in session whose user was revoked after its
     * sign-in (see {@link #revokeAll}) is gone.
     *
     * @return the stored fields, or {@link Loaded#gone} with the reason the session ended ("expired" when unknown)
     */
    Loaded load(SessionKey key);

    /**
     * Holds the calling request's answer back until every write it has made is visible to every instance's reads:
     * called before an answer to a request that wrote leaves. Nothing to wait for without a near cache.
     */
    default void awaitWritesVisible() {
        long until = System.nanoTime() + writeFenceNanos();
        long left;
        while ((left = until - System.nanoTime()) > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
        }
    }

    /**
     * How long after its writes an answer must be held back for them to be visible to every instance's reads ({@link
     * #awaitWritesVisible} waits that long); 0 without a near cache.
     */
    default long writeFenceNanos() {
        return 0;
    }

    /**
     * Applies one request's changes atomically. An existing session that has meanwhile been deleted or revoked is
     * not written again (no resurrection); a new session is only created if neither it nor its tombstone exists.
     * A signed-in session is kept in its user's index; creating one beyond the per-user limit ends the user's
     * least recently active sessions (reason "evicted").
     *
     * @return empty if nothing was written because the session is gone; else the values of incremented fields
     */
    Optional<Map<String, String>> save(SessionWrite write);

    /**
     * Deletes a session and leaves a tombstone with the reason, so later requests with its cookie learn why.
     *
     * @param user the session's user (its index entry is removed), or null
     * @return whether the session existed
     */
    boolean delete(SessionKey key, UserRef user, String reason);

    /**
     * Like {@link #delete(SessionKey, UserRef, String)}, recording {@code audit} in the user's audit trail in the same
     * round trip when the session existed (null: nothing recorded).
     */
    default boolean delete(SessionKey key, UserRef user, String reason, AuditEvent audit) {
        return delete(key, user, reason);
    }

    /** The live sessions of a user, from the user's index (never a scan), stale entries pruned. */
    List<SessionSummary> sessionsOf(UserRef user);

    /**
     * Ends one session of a user, if the handle names one of that user's sessions.
     *
     * @return false when it is not the user's (or no longer exists)
     */
    boolean revoke(UserRef user, String handle, String reason);

    /** Like {@link #revoke(UserRef, String, String)}, recording {@code audit} in the same round trip when it ended one. */
    default boolean revoke(UserRef user, String handle, String reason, AuditEvent audit) {
        return revoke(user, handle, reason);
    }

    /**
     * Ends every session of a user: one write marks the user revoked for sessions signed in before {@code notBefore}
     * (so a session missing from the index is refused too), then every indexed session except {@code keep} is
     * deleted.
     *
     * @param keep handle of a session to leave alone (signed in at or after {@code notBefore}), or null
     * @return the number of sessions deleted
     */
    int revokeAll(UserRef user, long notBefore, String reason, String keep);

    /** Like {@link #revokeAll(UserRef, long, String, String)}, recording {@code audit} with the revocation marker. */
    default int revokeAll(UserRef user, long notBefore, String reason, String keep, AuditEvent audit) {
        return revokeAll(user, notBefore, reason, keep);
    }

    /**
     * Records a failed sign-in in the account's audit trail, only if the account exists (a guessed name leaves no
     * trail behind). One round trip, on the failure path only.
     */
    default void recordFailedSignIn(UserRef user, AuditEvent audit) {
    }

    /**
     * The user's audit trail, newest first: at most the configured number of events, none older than the configured
     * age (kept after the account is deleted, until it ages out). One round trip.
     */
    default List<AuditEvent> activity(UserRef user) {
        return List.of();
    }

    /**
     * The number of signed-in sessions of all users: counts kept by the writes that start and end sessions, read
     * from a fixed number of keys (never by listing users).
     */
    long countSignedIn();

    /**
     * One expiry sweep: finds the sessions whose deadline passed (from an index of deadlines, never by listing
     * users or scanning keys), claims each so that no other instance announces it, hands it to {@code announce},
     * then acknowledges it. A claim whose instance dies before its acknowledgement lapses and is taken over by the
     * next sweep. Several instances may sweep at once: the work is split into shards, each leased to one of them.
     *
     * @param owner    names this instance in its leases and claims
     * @param announce receives each expired session once; must be quick and must not throw
     * @return the number of sessions announced
     */
    int sweepExpired(String owner, Consumer<ExpiredSession> announce);

    /**
     * A session that ended by timeout, as the expiry sweep found it.
     *
     * @param key      where it was stored
     * @param username its user, or null for an anonymous session
     * @param fields   its stored fields at expiry (empty when a lapsed claim of another instance was taken over)
     */
    record ExpiredSession(SessionKey key, String username, Map<String, String> fields) {
        public ExpiredSession {
            fields = Map.copyOf(fields);
        }
    }

    /**
     * What {@link #load} found.
     *
     * @param fields the stored fields (metadata and attributes), empty when gone
     * @param goneReason null when found; otherwise why the session ended
     * @param cached whether it was answered from a near cache, without a round trip
     */
    record Loaded(Map<String, String> fields, String goneReason, boolean cached) {
        public static Loaded found(Map<String, String> fields) {
            return new Loaded(Map.copyOf(fields), null, false);
        }

        public static Loaded gone(String reason) {
            return new Loaded(Map.of(), reason == null ? "expired" : reason, false);
        }

        /** The same answer, marked as served by a near cache. */
        public Loaded fromCache() {
            return new Loaded(fields, goneReason, true);
        }

        public boolean isFound() {
            return goneReason == null;
        }
    }
}
