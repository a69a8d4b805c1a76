package org.redsession.baseline;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** What the baseline keeps in the container session, and the JSON errors of the product. */
final class Sessions {
    static final String USER = "user";
    static final String ROLES = "roles";
    static final String CSRF = "csrf";
    static final String COUNTER = "counter";

    private Sessions() {
    }

    /** The signed-in session of the request, or 401 {@code not_authenticated}. */
    static HttpSession signedIn(HttpServletRequest request) {
        HttpSession s = request.getSession(false);
        if (s == null || s.getAttribute(USER) == null) {
            throw error(401, "not_authenticated", "Please sign in.");
        }
        return s;
    }

    static String user(HttpSession s) {
        return (String) s.getAttribute(USER);
    }

    @SuppressWarnings("unchecked")
    static Set<String> roles(HttpSession s) {
        return (Set<String>) s.getAttribute(ROLES);
    }

    /** The counter: an AtomicLong put into the session at sign-in, so concurrent increments are never lost. */
    static AtomicLong counter(HttpSession s) {
        return (AtomicLong) s.getAttribute(COUNTER);
    }

    static WebApplicationException error(int status, String code, String message) {
        return new WebApplicationException(Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(jakarta.json.Json.createObjectBuilder().add("error", code).add("message", message).build().toString())
                .build());
    }
}
