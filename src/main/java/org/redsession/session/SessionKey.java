package org.redsession.session;

import java.util.Objects;

/**
 * Where a session lives in the store: a random slot tag that stays the same across id rotations (so every key of
 * one session shares a Redis Cluster hash slot) and a keyed hash of the session id. It never contains the id.
 *
 * @param tag  four URL-safe characters chosen when the session is created
 * @param hash keyed hash (HMAC-SHA-256, 96 bits, base64url: 16 characters) of the full session id
 */
public record SessionKey(String tag, String hash) {
    public SessionKey {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(hash, "hash");
    }

    /** A short form for logs: eight characters of the keyed hash, which cannot be turned back into an id. */
    public String shortHash() {
        return hash.substring(0, 8);
    }

    @Override
    public String toString() {
        return "session#" + shortHash();
    }
}
