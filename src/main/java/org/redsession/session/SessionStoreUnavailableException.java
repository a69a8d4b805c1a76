package org.redsession.session;

/**
 * The session store could not be reached or did not answer in time. Requests that need the session fail with
 * 503; this is never reported as "no session".
 */
public class SessionStoreUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What the client is told (the JSON error's message), wherever the 503 is answered. */
    public static final String CLIENT_MESSAGE = "The session store is unavailable. Please try again shortly.";

    public SessionStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
