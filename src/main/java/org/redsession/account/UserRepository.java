package org.redsession.account;

import java.util.List;
import java.util.Optional;

/**
 * Storage of user accounts. Implementations throw {@link org.redsession.session.SessionStoreUnavailableException}
 * when the store cannot be reached; an outage is never reported as "no such user".
 */
public interface UserRepository {
    Optional<User> find(String username);

    /** Stores a new user; false if the name is taken. */
    boolean create(User user);

    /**
     * Replaces a user's password hash only while it is still {@code expectedHash} ({@code null}: whatever it is), so
     * that of two concurrent changes made from the same old password only one wins.
     */
    PasswordUpdate updatePassword(String username, String expectedHash, String passwordHash);

    /** The outcome of {@link #updatePassword(String, String, String)}. */
    enum PasswordUpdate {
        /** The hash was replaced. */
        UPDATED,
        /** There is no such user. */
        NO_ACCOUNT,
        /** The stored hash was no longer the expected one (changed meanwhile): nothing was written. */
        CHANGED_MEANWHILE
    }

    /** Deletes a user; false if there was none. */
    boolean delete(String username);

    /**
     * One page of users in name order, never all of them: at most {@code limit} users whose name starts with
     * {@code prefix} and comes after {@code after}.
     *
     * @param after the last name of the previous page ({@link Page#next}), or null for the first page
     * @param prefix  only names starting with it ("" for all)
     */
    Page page(int limit, String after, String prefix);

    /** The number of users, read without listing them. */
    long count();

    /**
     * Moves accounts stored in an earlier layout of this store to the current one (once: nothing to do afterwards).
     *
     * @return the number of accounts moved
     */
    default int migrateLegacy() {
        return 0;
    }

    /**
     * A page of users.
     *
     * @param users the users, in name order
     * @param next  the name to pass as {@code after} for the next page, or null when this is the last
     */
    record Page(List<User> users, String next) {
        public Page {
            users = List.copyOf(users);
        }
    }
}
