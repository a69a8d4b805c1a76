package org.redsession.baseline;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/me}, {@code POST /api/counter} and {@code GET /api/session}, same shapes as the product. */
@Path("")
@Produces(MediaType.APPLICATION_JSON)
public class MeResource {
    /** Who is signed in. */
    public record Me(String username, Set<String> roles) {
    }

    /** The counter after an increment. */
    public record Counter(long counter) {
    }

    /** The caller's session (the benchmark reads the counter back from here). */
    public record SessionInfo(String username, Set<String> roles, Instant createdAt, Instant lastAccessedAt,
            String csrfToken, Map<String, Object> attributes) {
    }

    @Context
    HttpServletRequest request;

    @GET
    @Path("me")
    public Me me() {
        HttpSession s = Sessions.signedIn(request);
        return new Me(Sessions.user(s), Sessions.roles(s));
    }

    @POST
    @Path("counter")
    public Counter increment() {
        return new Counter(Sessions.counter(Sessions.signedIn(request)).incrementAndGet());
    }

    @GET
    @Path("session")
    public SessionInfo session() {
        HttpSession s = Sessions.signedIn(request);
        return new SessionInfo(Sessions.user(s), Sessions.roles(s), Instant.ofEpochMilli(s.getCreationTime()),
                Instant.ofEpochMilli(s.getLastAccessedTime()), (String) s.getAttribute(Sessions.CSRF),
                Map.of("counter", Sessions.counter(s).get()));
    }
}
