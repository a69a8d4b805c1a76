package org.redsession.api.error;

import java.util.logging.Logger;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.redsession.session.SessionStoreUnavailableException;

/** Redis unreachable or too slow: 503 {@code session_store_unavailable}, with {@code Retry-After}. */
@Provider
public class SessionStoreUnavailableMapper implements ExceptionMapper<SessionStoreUnavailableException> {
    private static final Logger LOG = Logger.getLogger(SessionStoreUnavailableMapper.class.getName());

    @Override
    public Response toResponse(SessionStoreUnavailableException e) {
        return unavailable(e);
    }

    static Response unavailable(SessionStoreUnavailableException e) {
        LOG.warning(() -> "Session store unavailable: " + e.getMessage());
        return Response.fromResponse(Errors.response(503, "session_store_unavailable",
                SessionStoreUnavailableException.CLIENT_MESSAGE)).header("Retry-After", "1").build();
    }
}
