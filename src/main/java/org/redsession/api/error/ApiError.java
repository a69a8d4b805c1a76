package org.redsession.api.error;

/**
 * The body of every error response: {@code {"error": "<code>", "message": "<text>"}}, plus {@code "reason"} on
 * 401 {@code session_expired} (why the session ended: expired, logout, revoked, evicted, password_changed,
 * user_deleted, rotated, invalid).
 *
 * @param error   stable machine-readable code, e.g. {@code session_expired}
 * @param message sentence for people
 * @param reason  why the session ended, or null (then left out of the JSON)
 */
public record ApiError(String error, String message, String reason) {
    public ApiError(String error, String message) {
        this(error, message, null);
    }
}
