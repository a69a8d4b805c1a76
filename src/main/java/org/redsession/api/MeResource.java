package org.redsession.api;

import java.util.Set;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.redsession.account.Roles;
import org.redsession.api.error.ApiException;
import org.redsession.security.SessionAccess;

/** The signed-in caller: {@code GET /api/me} and the demo counter {@code POST /api/counter}. */
@Path("")
@Produces(MediaType.APPLICATION_JSON)
public class MeResource {

    /** Who is signed in. */
    public record Me(String username, Set<String> roles) {
    }

    /** The counter after an increment. */
    public record Counter(long counter) {
    }

    @Inject
    SessionAccess sessions;
    @Context
    HttpServletRequest request;

    /** Read-only: does not write the session. */
    @GET
    @Path("me")
    @RolesAllowed({Roles.USER, Roles.ADMIN})
    public Me me() {
        return sessions.identity(request).map(i -> new Me(i.username(), i.roles()))
                .orElseThrow(() -> new ApiException(401, "not_authenticated", "Please sign in."));
    }

    /** Adds one to the session attribute {@code counter} atomically; concurrent calls never lose an increment. */
    @POST
    @Path("counter")
    @RolesAllowed({Roles.USER, Roles.ADMIN})
    public Counter increment() {
        return new Counter(sessions.increment(request, "counter"));
    }
}
