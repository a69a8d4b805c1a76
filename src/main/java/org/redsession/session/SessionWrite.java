package org.redsession.session;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One request's changes to one session, applied by {@link SessionStore#save} in a single round trip.
 *
 * @param key          where the session is written
 * @param retiredKey   when the id was rotated in this request and the session already existed: the old key,
 *                     whose fields move to {@code key} and which is replaced by a tombstone; else null
 * @param create       true when the session does not exist in the store yet
 * @param set          fields to write (metadata and encoded attributes)
 * @param remove       fields to delete
 * @param increments   integer attributes to add to atomically (field to delta); their new values are returned
 * @param ttlMillis    time to live of the session key after this write (never more than the absolute deadline)
 */
public record SessionWrite(SessionKey key, SessionKey retiredKey, boolean create, Map<String, String> set,
        Set<String> remove, Map<String, Long> increments, long ttlMillis) {

    public SessionWrite {
        Objects.requireNonNull(key, "key");
        set = Map.copyOf(set);
        remove = Set.copyOf(remove);
        increments = Map.copyOf(increments);
        if (ttlMillis <= 0) {
            throw new IllegalArgumentException("ttlMillis must be positive, was " + ttlMillis);
        }
    }
}
