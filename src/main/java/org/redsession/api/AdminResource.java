package org.redsession.api;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.Produces;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import org.redsession.account.Roles;
import org.redsession.account.User;
import org.redsession.account.UserRepository;
import org.redsession.api.error.ApiException;
import org.redsession.metrics.StatsHistory;
import org.redsession.security.SessionAccess;
import org.redsession.security.SessionAdministration;
import org.redsession.session.AuditEvent;

/**
 * Administration of users and their sessions; administrators only. Changes (creating or deleting a user, ending a
 * user's sessions) need a sign-in at most {@code security.reauth-max-age} old, else 401
 * {@code reauthentication_required} ({@code POST /api/auth/reauthenticate}).
 */
@Path("admin")
@Tag(name = "admin", description = "Users and their sessions; the admin role only")
@SecurityRequirement(name = "session")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.ADMIN)
@ApplicationScoped
public class AdminResource {

    /** A user as the admin API shows it (never the password hash). */
    public record UserView(String username, Set<String> roles, Instant createdAt) {
        static UserView of(User u) {
            return new UserView(u.username(), u.roles(), Instant.ofEpochMilli(u.createdAt()));
        }
    }

    @Inject
    SessionAdministration admin;
    @Inject
    StatsHistory history;
    @Inject
    SessionAccess access;

    /**
     * One page of users.
     *
     * @param next the cursor of the next page, or null on the last page (always present in the JSON)
     */
    @JsonbNillable
    public record UserPage(List<UserView> users, String next) {
    }

    /**
     * {@code GET /api/admin/users?limit=N&cursor=C&prefix=P}: one page of users by name ({@code limit} 1-200, default
     * 50; {@code prefix} filters names; {@code next} goes back as {@code cursor}).
     */
    @Operation(summary = "One page of users, by name")
    @APIResponse(responseCode = "200", description = "The users of the page (never password hashes) and the cursor "
            + "of the next page (null on the last)")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @GET
    @Path("users")
    public UserPage users(@QueryParam("limit") @DefaultValue("50") String limit, @QueryParam("cursor") String cursor,
            @QueryParam("prefix") @DefaultValue("") String prefix) {
        int n = Paging.limit(limit);
        if (!NAME_PART.matcher(prefix).matches()) {
            throw new ApiException(400, "invalid_request", "'prefix' may hold at most 64 of the characters of a user name.");
        }
        String after = null;
        if (cursor != null && !cursor.isEmpty()) {
            try {
                after = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                after = "";
            }
            if (!NAME_PART.matcher(after).matches() || after.isEmpty()) {
                throw new ApiException(400, "invalid_request", "'cursor' is not one this API returned.");
            }
        }
        UserRepository.Page page = admin.users(n, after, prefix);
        String next = page.next() == null ? null
                : Base64.getUrlEncoder().withoutPadding().encodeToString(page.next().getBytes(StandardCharsets.UTF_8));
        return new UserPage(page.users().stream().map(UserView::of).toList(), next);
    }

    /** What a prefix or cursor may hold: characters of user names, at most 64. */
    private static final Pattern NAME_PART = Pattern.compile("[A-Za-z0-9._@-]{0,64}");

    /** {@code POST /api/admin/users} {@code {"username","password","roles"}}: 201; 409 if it exists; 400 if invalid. */
    @Operation(summary = "Creates a user (roles: user, admin)")
    @APIResponse(responseCode = "201", description = "Created")
    @APIResponse(responseCode = "409", description = "user_exists")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @SecurityRequirement(name = "csrf")
    @POST
    @Path("users")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(@Context HttpServletRequest request, String body) {
        access.requireRecentSignIn(request);
        JsonObject json = Json.object(body);
        String username = Json.requiredString(json, "username");
        String password = Json.requiredString(json, "password");
        Set<String> roles = new LinkedHashSet<>();
        JsonValue rolesValue = json.get("roles");
        if (rolesValue != null && rolesValue.getValueType() != JsonValue.ValueType.NULL) {
            if (rolesValue.getValueType() != JsonValue.ValueType.ARRAY) {
                throw new ApiException(400, "invalid_request", "'roles' must be an array of strings.");
            }
            for (JsonValue r : (JsonArray) rolesValue) {
                if (r.getValueType() != JsonValue.ValueType.STRING) {
                    throw new ApiException(400, "invalid_request", "'roles' must be an array of strings.");
                }
                roles.add(((JsonString) r).getString());
            }
        }
        User created = admin.createUser(username, password, roles)
                .orElseThrow(() -> new ApiException(409, "user_exists", "A user with this name exists."));
        return Response.created(URI.create("admin/users/" + username)).entity(UserView.of(created)).build();
    }

    /** {@code DELETE /api/admin/users/{username}}: the user and all their sessions are gone. */
    @Operation(summary = "Deletes a user; all their sessions end at once")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @SecurityRequirement(name = "csrf")
    @DELETE
    @Path("users/{username}")
    public Response delete(@Context HttpServletRequest request, @PathParam("username") String username) {
        access.requireRecentSignIn(request);
        if (!admin.deleteUser(username, caller(request))) {
            throw new ApiException(404, "not_found", "No such user.");
        }
        return Response.noContent().build();
    }

    @Operation(summary = "A user's live sessions")
    @APIResponse(responseCode = "200", description = "The sessions")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @GET
    @Path("users/{username}/sessions")
    public List<MeResource.SessionView> sessions(@PathParam("username") String username) {
        existing(username);
        return admin.sessionsOf(username).stream().map(s -> MeResource.SessionView.of(s, false)).toList();
    }

    @Operation(summary = "A user's recent sign-ins, sign-outs and session endings, newest first (one page: limit 1-200, "
            + "default 50; pass next back as cursor); kept after the user is deleted, until they age out")
    @APIResponse(responseCode = "200", description = "One page of events and the cursor of the next (null on the last)")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @GET
    @Path("users/{username}/activity")
    public Activity.Page activity(@Context HttpServletRequest request, @PathParam("username") String username,
            @QueryParam("limit") @DefaultValue("50") String limit, @QueryParam("cursor") String cursor) {
        List<AuditEvent> events = admin.activity(username);
        if (events.isEmpty()) {
            existing(username); // no trail: 404 unless the user exists (a deleted user's trail stays readable)
        }
        return Activity.page(events, limit, cursor, access.currentHandle(request), true);
    }

    @Operation(summary = "Ends every session of a user at once")
    @APIResponse(responseCode = "204", description = "Done")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @SecurityRequirement(name = "csrf")
    @DELETE
    @Path("users/{username}/sessions")
    public Response revokeAll(@Context HttpServletRequest request, @PathParam("username") String username) {
        access.requireRecentSignIn(request);
        existing(username);
        admin.revokeAll(username, caller(request));
        return Response.noContent().build();
    }

    @Operation(summary = "Ends the sessions of every user (the caller's other sessions too; the caller's current one "
            + "stays, with a new id), in the background")
    @APIResponse(responseCode = "202", description = "Started; every session signed in before now is refused as "
            + "each user is reached (about a second per thousand users)")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @SecurityRequirement(name = "csrf")
    @DELETE
    @Path("sessions")
    public Response revokeEveryone(@Context HttpServletRequest request) {
        access.requireRecentSignIn(request);
        String caller = access.identity(request).map(i -> i.username()).orElseThrow();
        access.revokeOthers(request);
        admin.revokeEveryone(caller);
        return Response.accepted().build();
    }

    @Operation(summary = "Live signed-in sessions (from Redis, cluster-wide) and the number of users")
    @APIResponse(responseCode = "200", description = "The totals")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @GET
    @Path("stats")
    public SessionAdministration.Stats stats() {
        return admin.stats();
    }

    @Operation(summary = "The answering instance's last 15 minutes of statistics, one sample per 10 seconds (for charts)")
    @APIResponse(responseCode = "200", description = "The samples, oldest first, and the instance that took them")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @GET
    @Path("stats/history")
    public StatsHistory.History history() {
        return history.history();
    }

    private String caller(HttpServletRequest request) {
        return access.identity(request).map(i -> i.username()).orElse(null);
    }

    private void existing(String username) {
        if (admin.user(username).isEmpty()) {
            throw new ApiException(404, "not_found", "No such user.");
        }
    }
}
