package org.redsession.api.error;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Builds error responses. */
final class Errors {
    private Errors() {
    }

    static Response response(int status, String code, String message) {
        return response(status, new ApiError(code, message));
    }

    /** 429 with {@code Retry-After} in seconds; the message should say when to try again. */
    static Response tooMany(String code, String message, long retryAfterSeconds) {
        return Response.fromResponse(response(429, code, message))
                .header("Retry-After", Long.toString(retryAfterSeconds)).build();
    }

    static Response response(int status, ApiError error) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).header("Cache-Control", "no-store")
                .entity(error).build();
    }
}
