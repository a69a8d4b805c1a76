package org.redsession.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import org.redsession.account.Roles;
import org.redsession.security.SessionAccess;

/** The demo counter {@code POST /api/counter}: an atomic read-modify-write of a session attribute. */
@Path("counter")
@Tag(name = "demo", description = "A session attribute changed atomically")
@Produces(MediaType.APPLICATION_JSON)
@ApplicationScoped
public class CounterResource {

    /** The counter after an increment. */
    public record Counter(long counter) {
    }

    @Inject
    SessionAccess sessions;

    /** Adds one to the session attribute {@code counter} atomically; concurrent calls never lose an increment. */
    @Operation(summary = "Adds one to the session attribute counter atomically and returns it")
    @APIResponse(responseCode = "200", description = "The new value")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @APIResponse(responseCode = "503", ref = "Unavailable")
    @SecurityRequirement(name = "session")
    @SecurityRequirement(name = "csrf")
    @POST
    @RolesAllowed({Roles.USER, Roles.ADMIN})
    public Counter increment(@Context HttpServletRequest request) {
        return new Counter(sessions.increment(request, "counter"));
    }
}
