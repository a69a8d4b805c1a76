package org.redsession.session;

import java.util.Map;
import java.util.Optional;

/**
 * The port between the session layer and its storage. Each call is at most one round trip to the store.
 * Implementations throw {@link SessionStoreUnavailableException} when the store cannot answer; they never
 * report an error as "not found".
 */
public interface SessionStore {

    /**
     * Loads a session's fields, or learns why it is gone.
     *
     * @return the stored fields, or {@link Loaded#gone} with the reason the session ended ("expired" when unknown)
     */
    Loaded load(SessionKey key);

    /**
     * Applies one request's changes atomically. An existing session that has meanwhile been deleted is not
     * written again (no resurrection); a new session is only created if neither it nor its tombstone exists.
     *
     * @return empty if nothing was written because the session is gone; else the values of incremented fields
     */
    Optional<Map<String, String>> save(SessionWrite write);

    /**
     * Deletes a session and leaves a tombstone with the reason, so later requests with its cookie learn why.
     *
     * @return whether the session existed
     */
    boolean delete(SessionKey key, String reason);

    /**
     * What {@link #load} found.
     *
     * @param fields the stored fields (metadata and attributes), empty when gone
     * @param goneReason null when found; otherwise why the session ended
     */
    record Loaded(Map<String, String> fields, String goneReason) {
        public static Loaded found(Map<String, String> fields) {
            return new Loaded(Map.copyOf(fields), null);
        }

        public static Loaded gone(String reason) {
            return new Loaded(Map.of(), reason == null ? "expired" : reason);
        }

        public boolean isFound() {
            return goneReason == null;
        }
    }
}
