package org.redsession.session;

/**
 * Receives what happens to sessions, for metrics and for the Servlet listeners of the web layer. Every method has
 * an empty default; implementations must be quick and must not throw.
 */
public interface SessionEvents {
    /** A session was stored for the first time. */
    default void created(SessionState session) {
    }

    /** A session was ended by this instance, with a reason such as "logout" or "invalidated". */
    default void invalidated(SessionState session, String reason) {
    }

    /** A session's id changed in this request. */
    default void idChanged(SessionState session, String oldId) {
    }

    /** A cookie named a session that had ended; the reason is the one recorded, or "expired". */
    default void foundGone(String reason) {
    }

    /** A session cookie was malformed, oversized or wrongly signed and was ignored without a store access. */
    default void cookieRejected() {
    }

    /** A stored attribute could not be read and was left out of the session's view. */
    default void attributeQuarantined() {
    }

    /** A stored session whose metadata could not be trusted was ended (reason {@code invalid}). */
    default void sessionQuarantined() {
    }

    /** Sessions of a user were ended by an administrative action or a limit (revoke, revoke-all, eviction). */
    default void revoked(int count) {
    }

    /** The store refused to create an anonymous session: its client created too many recently. */
    default void creationRefused() {
    }

    /** A session was loaded from the store, taking {@code nanos}. */
    default void loaded(long nanos) {
    }

    /** A session's changes were written to the store, taking {@code nanos}. */
    default void committed(long nanos) {
    }

    /** A request that used the session store finished, after {@code roundTrips} store calls. */
    default void requestDone(int roundTrips) {
    }

    /** No-op events. */
    SessionEvents NONE = new SessionEvents() {
    };
}
