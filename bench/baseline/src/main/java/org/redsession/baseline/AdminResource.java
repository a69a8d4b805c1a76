package org.redsession.baseline;

import java.util.LinkedHashSet;
import java.util.Set;

import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code POST /api/admin/users} (admin session + CSRF header), so the benchmark seeds both servers the same way. */
@Path("admin/users")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {
    @Inject
    Users users;
    @Context
    HttpServletRequest request;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(String body) {
        HttpSession s = Sessions.signedIn(request);
        if (!Sessions.roles(s).contains("admin")) {
            throw Sessions.error(403, "forbidden", "Administrators only.");
        }
        JsonObject json = Json.object(body);
        Set<String> roles = new LinkedHashSet<>();
        JsonValue r = json.get("roles");
        if (r != null && r.getValueType() == JsonValue.ValueType.ARRAY) {
            r.asJsonArray().forEach(v -> roles.add(((JsonString) v).getString()));
        }
        if (!users.create(Json.string(json, "username"), Json.string(json, "password"), roles.isEmpty() ? Set.of("user") : roles)) {
            throw Sessions.error(409, "user_exists", "That user exists.");
        }
        return Response.status(201).build();
    }
}
