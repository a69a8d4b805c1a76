package org.redsession.account;

/**
 * Password hashing is saturated: the work was refused rather than queued for longer than
 * {@code security.password-hash.max-wait} ({@link PasswordHashing}). Nothing was checked or changed; the client may
 * try again after {@link #retryAfterSeconds()}.
 */
public class PasswordHashingBusyException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long retryAfterSeconds;

    public PasswordHashingBusyException(long retryAfterSeconds) {
        super("Password hashing is saturated");
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
