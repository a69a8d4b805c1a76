package org.redsession.session;

/**
 * The store refused to create an anonymous session because its client created too many recently
 * ({@code security.session-creation.*}). Nothing was stored.
 */
public class TooManyNewSessionsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long retryAfterMillis;

    public TooManyNewSessionsException(long retryAfterMillis) {
        super("Too many new sessions from one client; retry in " + retryAfterMillis + " ms", null, false, false);
        this.retryAfterMillis = Math.max(0, retryAfterMillis);
    }

    /** What the client is told (the JSON error's message), wherever the 429 is answered. */
    public String clientMessage() {
        return "Too many new sessions from this client. Try again in " + retryAfterSeconds() + " seconds.";
    }

    /** Whole seconds until the client may create a session again, at least 1. */
    public long retryAfterSeconds() {
        return Math.max(1, (retryAfterMillis + 999) / 1000);
    }
}
