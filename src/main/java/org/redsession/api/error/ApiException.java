package org.redsession.api.error;

/** An expected failure of a request, with its HTTP status and error code; mapped to an {@link ApiError} body. */
public class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;
    private final String reason;

    public ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    /** @param reason why a session ended, for 401 {@code session_expired}; may be null */
    public ApiException(int status, String code, String message, String reason) {
        super(message);
        this.status = status;
        this.code = code;
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
