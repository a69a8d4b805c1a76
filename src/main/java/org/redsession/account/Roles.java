package org.redsession.account;

import java.util.Set;

/** The roles of this application. */
public final class Roles {
    /** Any signed-in user. */
    public static final String USER = "user";
    /** Administrators: manage users and their sessions. */
    public static final String ADMIN = "admin";
    /** Every role there is. */
    public static final Set<String> ALL = Set.of(USER, ADMIN);

    private Roles() {
    }
}
