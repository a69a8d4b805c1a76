package org.redsession.session;

import java.util.Objects;

/**
 * A user as the session store addresses it: the slot tag shared by all the user's signed-in sessions, and the name.
 *
 * @param tag      four URL-safe characters derived from the name with a keyed hash
 * @param username the user name
 */
public record UserRef(String tag, String username) {
    public UserRef {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(username, "username");
    }
}
