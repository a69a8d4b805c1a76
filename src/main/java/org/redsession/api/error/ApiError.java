package org.redsession.api.error;

/**
 * The body of every error response: {@code {"error": "<code>", "message": "<text>"}}.
 *
 * @param error   stable machine-readable code, e.g. {@code session_expired}
 * @param message sentence for people
 */
public record ApiError(String error, String message) {
}
