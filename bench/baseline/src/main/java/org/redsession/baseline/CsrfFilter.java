package org.redsession.baseline;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import jakarta.annotation.Priority;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.ext.Provider;

/** As in the product: unsafe methods on a signed-in session need X-CSRF-Token = the session's token (login exempt). */
@Provider
@Priority(Priorities.AUTHENTICATION + 10)
public class CsrfFilter implements ContainerRequestFilter {
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    @Context
    HttpServletRequest request;

    @Override
    public void filter(ContainerRequestContext context) {
        if (SAFE.contains(context.getMethod()) || context.getUriInfo().getPath().endsWith("auth/login")) {
            return;
        }
        HttpSession s = request.getSession(false);
        if (s == null || s.getAttribute(Sessions.USER) == null) {
            return; // the resource answers 401
        }
        String expected = (String) s.getAttribute(Sessions.CSRF);
        String presented = context.getHeaderString("X-CSRF-Token");
        if (expected == null || presented == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                presented.getBytes(StandardCharsets.US_ASCII))) {
            throw Sessions.error(403, "csrf_token_invalid", "Missing or wrong X-CSRF-Token header.");
        }
    }
}
