package org.redsession.api.error;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Builds error responses. */
final class Errors {
    private Errors() {
    }

    static Response response(int status, String code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).header("Cache-Control", "no-store")
                .entity(new ApiError(code, message)).build();
    }
}
