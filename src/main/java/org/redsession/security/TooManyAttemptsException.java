package org.redsession.security;

/** Sign-in refused because of too many recent failures; the client may try again after {@link #retryAfterSeconds()}. */
public class TooManyAttemptsException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long retryAfterSeconds;

    public TooManyAttemptsException(long retryAfterMillis) {
        super("Too many failed sign-ins");
        this.retryAfterSeconds = Math.max(1, (retryAfterMillis + 999) / 1000);
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
