package org.redsession.security;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.redsession.account.AccountService;
import org.redsession.account.User;
import org.redsession.account.UserRepository;
import org.redsession.session.AuditEvent;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionSummary;

/**
 * What administrators may do with users and their sessions: list, create and delete users (deleting ends every
 * session of the user at once), list and revoke a user's sessions, end every user's sessions, and count live sessions.
 */
@ApplicationScoped
public class SessionAdministration {

    /** Totals for the admin dashboard. */
    public record Stats(long activeSessions, long users) {
    }

    private static final Logger LOG = Logger.getLogger(SessionAdministration.class.getName());
    /** Users per page while ending everyone's sessions. */
    private static final int PAGE = 200;

    @Resource
    ManagedExecutorService executor;
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

    /**
     * Deletes the user and ends all their sessions. @return false if there was no such user
     *
     * @param actor the administrator, recorded in the user's audit trail
     */
    public boolean deleteUser(String username, String actor) {
        boolean existed = accounts.delete(username);
        if (existed) {
            sessions.revokeAll(username, "user_deleted", actor);
        }
        return existed;
    }

    /** A user's audit trail, newest first (kept after the account is deleted, until it ages out). */
    public List<AuditEvent> activity(String username) {
        return sessions.activity(username);
    }

    public List<SessionSummary> sessionsOf(String username) {
        return sessions.sessionsOf(username);
    }

    /**
     * Ends every session of the user. @return the number of indexed sessions deleted
     *
     * @param actor the administrator, recorded in the user's audit trail
     */
    public int revokeAll(String username, String actor) {
        return sessions.revokeAll(username, "revoked", actor);
    }

    /**
     * Ends every session of every user but {@code except} (the caller, whose other sessions the caller ends itself),
     * in the background, one user at a time (one revoke each: every session signed in before now is refused from then
     * on, on every instance). An emergency action, e.g. after a leak of sessions; it takes about a second per thousand
     * users.
     *
     * @return completes with the number of users whose sessions were ended
     */
    public CompletableFuture<Integer> revokeEveryone(String except) {
        return CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            int users = 0;
            String after = null;
            do {
                UserRepository.Page page = accounts.page(PAGE, after, "");
                for (User u : page.users()) {
                    if (!u.username().equals(except)) {
                        sessions.revokeAll(u.username(), "revoked", except);
                        users++;
                    }
                }
                after = page.next();
            } while (after != null);
            int ended = users;
            LOG.info(() -> "Ended the sessions of all " + ended + " other users in "
                    + (System.nanoTime() - start) / 1_000_000 + " ms");
            return ended;
        }, executor).whenComplete((n, e) -> {
            if (e != null) {
                LOG.log(Level.WARNING, "Ending everyone's sessions stopped before the end; run it again", e);
            }
        });
    }

    /** Signed-in sessions of all users and the number of users: a fixed number of reads, never a listing. */
    public Stats stats() {
        return new Stats(sessions.countSignedIn(), accounts.count());
    }
}
