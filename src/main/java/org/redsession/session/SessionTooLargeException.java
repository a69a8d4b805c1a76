package org.redsession.session;

/**
 * An attribute was refused because it, or the session with it, would exceed a configured cap (bytes of one value,
 * bytes of the whole session, number of attributes). The session is left as it was. An
 * {@link IllegalArgumentException}, as {@code HttpSession.setAttribute} allows.
 */
public class SessionTooLargeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SessionTooLargeException(String message) {
        super(message);
    }
}
