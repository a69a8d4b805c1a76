package org.redsession.session;

import java.util.Objects;

/**
 * A client (an address bucket) as the session store counts its new sessions: the slot tag its anonymous sessions
 * are created in, and a keyed hash of the address. Neither reveals the address.
 *
 * @param tag  four URL-safe characters derived from the address with a keyed hash
 * @param hash a longer keyed hash of the address, naming the client's counter
 */
public record ClientRef(String tag, String hash) {
    public ClientRef {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(hash, "hash");
    }
}
