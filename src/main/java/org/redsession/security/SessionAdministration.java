package org.redsession.security;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.redsession.account.AccountService;
import org.redsession.account.User;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionSummary;

/**
 * What administrators may do with users and their sessions: list, create and delete users (deleting ends every
 * session of the user at once), list and revoke a user's sessions, and count live sessions.
 */
@ApplicationScoped
public class SessionAdministration {

    /** Totals for the admin dashboard. */
    public record Stats(long activeSessions, int users) {
    }

    @Inject
    AccountService accounts;
    @Inject
    SessionManager sessions;

    public List<User> users() {
        return accounts.list();
    }

    public Optional<User> user(String username) {
        return accounts.find(username);
    }

    /** @return the new account, or empty if the name is taken */
    public Optional<User> createUser(String username, String password, Set<String> roles) {
        return accounts.create(username, password, roles);
    }

    /** Deletes the user and ends all their sessions. @return false if there was no such user */
    public boolean deleteUser(String username) {
        boolean existed = accounts.delete(username);
        if (existed) {
            sessions.revokeAll(username, "user_deleted");
        }
        return existed;
    }

    public List<SessionSummary> sessionsOf(String username) {
        return sessions.sessionsOf(username);
    }

    /** Ends every session of the user. @return the number of indexed sessions deleted */
    public int revokeAll(String username) {
        return sessions.revokeAll(username, "revoked");
    }

    /** Live signed-in sessions of all users (one index count per user, in one pipelined round trip) and the number of users. */
    public Stats stats() {
        List<String> names = accounts.names();
        return new Stats(sessions.countSessions(names), names.size());
    }
}
