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

    /** Replaces a user's password hash; false if there is no such user. */
    boolean updatePassword(String username, String passwordHash);

    /** Deletes a user; false if there was none. */
    boolean delete(String username);

    List<User> list();

    /** Every user name, sorted (one read, without loading the accounts). */
    List<String> names();
}
