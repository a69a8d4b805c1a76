package org.redsession.security;

/**
 * A sensitive action (creating or deleting users, ending another user's sessions) asked of a session whose sign-in is
 * older than {@code security.reauth-max-age}: the user must enter the password again ({@code POST
 * /api/auth/reauthenticate}), which keeps the session, renews its id and its sign-in time.
 */
public class ReauthenticationRequiredException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReauthenticationRequiredException() {
        super("Re-authentication required");
    }
}
