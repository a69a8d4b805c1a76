package org.redsession.api.error;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.redsession.session.SessionGoneException;

/** The session ended while the request ran (e.g. signed out on another instance): 401 {@code session_expired}. */
@Provider
public class SessionGoneMapper implements ExceptionMapper<SessionGoneException> {
    @Override
    public Response toResponse(SessionGoneException e) {
        return Errors.response(401, new ApiError("session_expired", "Your session ended. Please sign in again.", "ended"));
    }
}
