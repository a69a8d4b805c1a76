package org.redsession.api.error;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.redsession.session.SessionTooLargeException;

/** An attribute over a session cap (value bytes, session bytes, attribute count): 413 {@code session_too_large}. */
@Provider
public class SessionTooLargeMapper implements ExceptionMapper<SessionTooLargeException> {
    @Override
    public Response toResponse(SessionTooLargeException e) {
        return Errors.response(413, "session_too_large", e.getMessage() + ".");
    }
}
