package org.redsession.session;

/**
 * The session this request was using ended while the request ran (it was invalidated, revoked or expired on
 * another request or instance); the request's changes were not written, so the session stays gone.
 */
public class SessionGoneException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SessionGoneException(SessionKey key) {
        super("The session " + key + " ended while this request was running");
    }
}
