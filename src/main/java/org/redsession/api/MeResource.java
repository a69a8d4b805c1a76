package org.redsession.api;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import org.redsession.account.Roles;
import org.redsession.api.error.ApiException;
import org.redsession.security.SessionAccess;
import org.redsession.session.SessionSummary;

/**
 * The signed-in caller: who they are ({@code GET /api/me}, read-only), their sessions ("my sessions", sign out a
 * device or everywhere else) and password change.
 */
@Path("me")
@Tag(name = "me", description = "The signed-in caller, their sessions and password")
@SecurityRequirement(name = "session")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({Roles.USER, Roles.ADMIN})
@ApplicationScoped
public class MeResource {

    /**
     * One session as the API shows it; {@code id} is an opaque handle, never the session id.
     */
    public record SessionView(String id, Instant createdAt, Instant lastAccessedAt, String ipAddress, String userAgent,
            boolean current) {
        static SessionView of(SessionSummary s, boolean current) {
            return new SessionView(s.handle(), Instant.ofEpochMilli(s.createdAt()), Instant.ofEpochMilli(s.lastAccessedAt()),
                    s.ipAddress(), s.userAgent(), current);
        }
    }

    /** Who is signed in. */
    public record Me(String username, Set<String> roles) {
    }

    @Inject
    SessionAccess sessions;

    /** {@code GET /api/me}: read-only, does not write the session. */
    @Operation(summary = "Who is signed in (read-only: does not write the session)")
    @APIResponse(responseCode = "200", description = "User name and roles")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @GET
    public Me me(@Context HttpServletRequest request) {
        return sessions.identity(request).map(i -> new Me(i.username(), i.roles()))
                .orElseThrow(() -> new ApiException(401, "not_authenticated", "Please sign in."));
    }

    /** {@code GET /api/me/sessions}: the caller's live sessions, the current one marked. */
    @Operation(summary = "The caller's live sessions; id is an opaque handle, never the session id")
    @APIResponse(responseCode = "200", description = "The sessions, the current one marked")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @GET
    @Path("sessions")
    public List<SessionView> list(@Context HttpServletRequest request) {
        return sessions.mySessions(request).stream().map(m -> SessionView.of(m.session(), m.current())).toList();
    }

    /** {@code GET /api/me/activity?limit=N&cursor=C}: the caller's recent security events, newest first. */
    @Operation(summary = "The caller's recent sign-ins, sign-outs and session endings, newest first (one page: limit "
            + "1-200, default 50; pass next back as cursor); session is an opaque handle, never the session id")
    @APIResponse(responseCode = "200", description = "One page of events and the cursor of the next (null on the last)")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @GET
    @Path("activity")
    public Activity.Page activity(@Context HttpServletRequest request,
            @QueryParam("limit") @DefaultValue("50") String limit, @QueryParam("cursor") String cursor) {
        return Activity.page(sessions.myActivity(request), limit, cursor, sessions.currentHandle(request), false);
    }

    /** {@code DELETE /api/me/sessions/{id}}: signs that device out; 404 when it is not one of the caller's sessions. */
    @Operation(summary = "Signs one of the caller's sessions out")
    @APIResponse(responseCode = "204", description = "Signed out")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @SecurityRequirement(name = "csrf")
    @DELETE
    @Path("sessions/{id}")
    public Response revoke(@Context HttpServletRequest request, @PathParam("id") String id) {
        if (!sessions.revokeMine(request, id)) {
            throw new ApiException(404, "not_found", "No such session of yours.");
        }
        return Response.noContent().build();
    }

    /** {@code DELETE /api/me/sessions?scope=others}: signs out every other session of the caller. */
    @Operation(summary = "With scope=others: signs out every other session of the caller (this one gets a new id)")
    @APIResponse(responseCode = "204", description = "Done")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @SecurityRequirement(name = "csrf")
    @DELETE
    @Path("sessions")
    public Response revokeOthers(@Context HttpServletRequest request, @QueryParam("scope") String scope) {
        if (!"others".equals(scope)) {
            throw new ApiException(400, "invalid_request", "Use scope=others to sign out your other sessions.");
        }
        sessions.revokeOthers(request);
        return Response.noContent().build();
    }

    /** {@code POST /api/me/password} {@code {"currentPassword","newPassword"}}: every other session ends. */
    @Operation(summary = "Changes the password; every other session of the caller ends, this one gets a new id")
    @APIResponse(responseCode = "204", description = "Changed")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "403", description = "invalid_credentials (wrong current password), forbidden or csrf_token_invalid")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @SecurityRequirement(name = "csrf")
    @POST
    @Path("password")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response changePassword(@Context HttpServletRequest request, String body) {
        JsonObject json = Json.object(body);
        String current = Json.requiredString(json, "currentPassword");
        String next = Json.requiredString(json, "newPassword");
        if (!sessions.changePassword(request, current, next)) {
            throw new ApiException(403, "invalid_credentials", "The current password is wrong.");
        }
        return Response.noContent().build();
    }
}
