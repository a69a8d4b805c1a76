package org.redsession.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import org.redsession.api.error.ApiException;
import org.redsession.security.SessionAccess;

/** {@code GET /api/session}: the caller's session; refreshes its idle deadline. */
@Path("session")
@Tag(name = "session", description = "The caller's session")
@Produces(MediaType.APPLICATION_JSON)
@ApplicationScoped
public class SessionResource {

    @Inject
    SessionAccess sessions;

    @Operation(summary = "The caller's session: who, created, last access, idle and absolute deadlines, CSRF token; refreshes the idle deadline")
    @APIResponse(responseCode = "200", description = "The session")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "503", ref = "Unavailable")
    @SecurityRequirement(name = "session")
    @GET
    public SessionAccess.SessionInfo get(@Context HttpServletRequest request) {
        return sessions.describeAndTouch(request).orElseThrow(() -> {
            SessionAccess.Problem p = sessions.unauthenticated(request);
            return new ApiException(401, p.code(), p.message(), p.reason());
        });
    }
}
