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

    static Response response(int status, ApiError error) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).header("Cache-Control", "no-store")
                .entity(error).build();
    }
}
