package org.redsession.security;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.redsession.account.AccountService;
import org.redsession.account.User;
import org.redsession.account.UserRepository;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionSummary;

/**
 * What administrators may do with users and their sessions: list, create and delete users (deleting ends every
 * session of the user at once), list and revoke a user's sessions, and count live sessions.
 */
@ApplicationScoped
public class SessionAdministration {

    /** Totals for the admin dashboard. */
    public record Stats(long activeSessions, long users) {
    }

    @Inject
    AccountService accounts;
    @Inject
    SessionManager sessions;

    /** One page of users by name (see {@link UserRepository#page}). */
    public UserRepository.Page users(int limit, String after, String prefix) {
        return accounts.page(limit, after, prefix);
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

    /** Signed-in sessions of all users and the number of users: a fixed number of reads, never a listing. */
    public Stats stats() {
        return new Stats(sessions.countSignedIn(), accounts.count());
    }
}
