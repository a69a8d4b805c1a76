package org.redsession.account;

import java.util.Objects;
import java.util.Set;

/**
 * A user account.
 *
 * @param username     unique name
 * @param passwordHash PBKDF2 hash in the format of Jakarta Security's {@code Pbkdf2PasswordHash}
 * @param roles        roles granted, e.g. {@code user}, {@code admin}
 * @param createdAt    creation time, epoch milliseconds
 */
public record User(String username, String passwordHash, Set<String> roles, long createdAt) {
    public User {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(passwordHash, "passwordHash");
        roles = Set.copyOf(roles);
    }
}
