package org.redsession.api.error;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.redsession.session.TooManyNewSessionsException;

/**
 * A new anonymous session refused by the session-creation limit while the resource ran: 429 {@code too_many_sessions}
 * with {@code Retry-After} in seconds (the session filter answers the same way when the refusal comes at commit).
 */
@Provider
public class TooManyNewSessionsMapper implements ExceptionMapper<TooManyNewSessionsException> {
    @Override
    public Response toResponse(TooManyNewSessionsException e) {
        return Errors.tooMany("too_many_sessions", e.clientMessage(), e.retryAfterSeconds());
    }
}
