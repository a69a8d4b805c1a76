package org.redsession.api;

import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.redsession.api.error.ApiException;
import org.redsession.security.SessionAccess;

/** {@code GET /api/session}: the caller's session; refreshes its idle deadline. */
@Path("session")
@Produces(MediaType.APPLICATION_JSON)
public class SessionResource {

    @Inject
    SessionAccess sessions;
    @Context
    HttpServletRequest request;

    @GET
    public SessionAccess.SessionInfo get() {
        return sessions.describeAndTouch(request).orElseThrow(() -> {
            SessionAccess.Problem p = sessions.unauthenticated(request);
            return new ApiException(401, p.code(), p.message());
        });
    }
}
