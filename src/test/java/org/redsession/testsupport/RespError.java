package org.redsession.testsupport;

/** An error reply ("-ERR ...") that Redis sent for a command issued through {@link Resp}. */
public class RespError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RespError(String message) {
        super(message);
    }

    /** The error's first word, e.g. "ERR", "WRONGTYPE", "NOSCRIPT". */
    public String kind() {
        String message = getMessage();
        int space = message.indexOf(' ');
        return space < 0 ? message : message.substring(0, space);
    }
}
