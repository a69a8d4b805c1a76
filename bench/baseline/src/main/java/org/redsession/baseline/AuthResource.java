package org.redsession.baseline;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code POST /api/auth/login} and {@code /logout}, same shapes as the product. */
@Path("auth")
@Produces(MediaType.APPLICATION_JSON)
public class AuthResource {
    /** Body of a successful sign-in. */
    public record LoginResponse(String username, Set<String> roles, String csrfToken) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    Users users;
    @Context
    HttpServletRequest request;

    @POST
    @Path("login")
    @Consumes(MediaType.APPLICATION_JSON)
    public LoginResponse login(String body) {
        JsonObject json = Json.object(body);
        Users.Account a = users.check(Json.string(json, "username"), Json.string(json, "password"));
        if (a == null) {
            throw Sessions.error(401, "invalid_credentials", "Wrong user name or password.");
        }
        HttpSession old = request.getSession(false);
        if (old != null) {
            old.invalidate(); // a fresh session (new id) on every sign-in, as the product does
        }
        HttpSession s = request.getSession(true);
        byte[] token = new byte[32];
        RANDOM.nextBytes(token);
        String csrf = Base64.getUrlEncoder().withoutPadding().encodeToString(token);
        s.setAttribute(Sessions.USER, a.username());
        s.setAttribute(Sessions.ROLES, a.roles());
        s.setAttribute(Sessions.CSRF, csrf);
        s.setAttribute(Sessions.COUNTER, new AtomicLong());
        return new LoginResponse(a.username(), a.roles(), csrf);
    }

    @POST
    @Path("logout")
    public Response logout() {
        Sessions.signedIn(request).invalidate();
        return Response.noContent().build();
    }
}
