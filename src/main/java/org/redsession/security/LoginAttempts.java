package org.redsession.security;

/**
 * Counts failed sign-ins per account and per client address, shared by every instance (kept in Redis), within a
 * fixed window. Implementations throw {@link org.redsession.session.SessionStoreUnavailableException} when the
 * store cannot be reached.
 */
public interface LoginAttempts {
    /**
     * What one check found.
     *
     * @param waitMillis milliseconds until the account or the client may try again; 0 when allowed
     * @param accountFailures failed attempts on record for the account
     */
    record Check(long waitMillis, long accountFailures) {
        public boolean blocked() {
            return waitMillis > 0;
        }
    }

    /** Reads both counters (one round trip). */
    Check check(String account, String client);

    /** Records a failed attempt for both. */
    void failed(String account, String client);

    /**
     * Clears the account's failures after a successful sign-in (the client's count decays with its window). Callers
     * skip it when {@link Check#accountFailures()} was 0, so a normal sign-in costs no extra round trip.
     */
    void succeeded(String account);
}
