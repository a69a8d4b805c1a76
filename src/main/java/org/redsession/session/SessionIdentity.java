package org.redsession.session;

import java.util.Objects;
import java.util.Set;

/**
 * Who is signed in to a session.
 *
 * @param username the caller name
 * @param roles    the caller's groups (roles), never null
 */
public record SessionIdentity(String username, Set<String> roles) {
    public SessionIdentity {
        Objects.requireNonNull(username, "username");
        roles = Set.copyOf(roles);
    }
}
