package org.redsession.security;

/**
 * Counts failed sign-ins per account and per client address, shared by every instance (kept in Redis), within a
 * fixed window. Implementations throw {@link org.redsession.session.SessionStoreUnavailableException} when the
 * store cannot be reached.
 */
public interface LoginAttempts {
    /** Milliseconds until the account or the client may try again; 0 when allowed. */
    long blockedFor(String account, String client);

    /** Records a failed attempt for both. */
    void failed(String account, String client);

    /** Clears the account's failures after a successful sign-in (the client's count decays with its window). */
    void succeeded(String account);
}
