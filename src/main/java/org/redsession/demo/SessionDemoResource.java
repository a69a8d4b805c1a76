package org.redsession.demo;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.redsession.api.error.ApiException;

/**
 * The portable session layer through the plain Servlet API, as any Jakarta EE application would use it:
 * {@code request.getSession()}, {@code setAttribute}, {@code changeSessionId()}, {@code invalidate()}, with the
 * listener events this instance delivered. Anonymous sessions are allowed here (a session is only stored once it
 * holds an attribute); attribute values are strings.
 */
@Path("demo/session")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "demo", description = "The HttpSession API on the Redis-backed session")
@ApplicationScoped
public class SessionDemoResource {

    /** What the session looks like to this request. */
    public record View(boolean exists, Boolean isNew, Integer maxInactiveInterval, Map<String, Object> attributes,
            Map<String, Long> events) {
    }

    @Inject
    SessionEventLog events;

    private View view(HttpSession session) {
        if (session == null) {
            return new View(false, null, null, Map.of(), events.counts());
        }
        Map<String, Object> attributes = new TreeMap<>();
        for (String name : Collections.list(session.getAttributeNames())) {
            attributes.put(name, session.getAttribute(name));
        }
        return new View(true, session.isNew(), session.getMaxInactiveInterval(), attributes, events.counts());
    }

    @GET
    @Operation(summary = "The session as request.getSession(create) sees it, and the listener events of this instance")
    public View get(@Context HttpServletRequest request, @QueryParam("create") boolean create) {
        return view(request.getSession(create));
    }

    @PUT
    @Path("attributes/{name}")
    @Consumes(MediaType.TEXT_PLAIN)
    @Operation(summary = "session.setAttribute(name, body) on request.getSession(true)")
    public View set(@Context HttpServletRequest request, @PathParam("name") String name, String value) {
        HttpSession session = request.getSession(true);
        session.setAttribute(name, value);
        return view(session);
    }

    @DELETE
    @Path("attributes/{name}")
    @Operation(summary = "session.removeAttribute(name)")
    public View remove(@Context HttpServletRequest request, @PathParam("name") String name) {
        HttpSession session = request.getSession(false);
        if (session != null) {
            session.removeAttribute(name);
        }
        return view(session);
    }

    @PUT
    @Path("max-inactive-interval")
    @Consumes(MediaType.TEXT_PLAIN)
    @Operation(summary = "session.setMaxInactiveInterval(seconds) on the session (created if needed); <= 0 means the "
            + "configured idle timeout")
    public View maxInactiveInterval(@Context HttpServletRequest request, String seconds) {
        int n;
        try {
            n = Integer.parseInt(seconds.trim());
        } catch (NumberFormatException e) {
            throw new ApiException(400, "invalid_request", "The body must be a whole number of seconds.");
        }
        HttpSession session = request.getSession(true);
        session.setMaxInactiveInterval(n);
        return view(session);
    }

    @POST
    @Path("rotate")
    @Operation(summary = "request.changeSessionId(): a new id, the same data")
    public Response rotate(@Context HttpServletRequest request) {
        if (request.getSession(false) == null) {
            return Response.status(409).entity(Map.of("error", "no_session", "message", "There is no session.")).build();
        }
        request.changeSessionId();
        return Response.ok(view(request.getSession(false))).build();
    }

    @POST
    @Path("invalidate")
    @Operation(summary = "session.invalidate()")
    public View invalidate(@Context HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        if (session != null) {
            session.invalidate();
        }
        return view(request.getSession(false));
    }
}
