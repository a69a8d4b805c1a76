package org.redsession.api;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;

import org.redsession.api.error.ApiException;
import org.redsession.security.SessionAccess;

/**
 * Unsafe requests (POST, PUT, PATCH, DELETE) authenticated by the session cookie must carry {@code X-CSRF-Token}
 * with the session's token, else 403 {@code csrf_token_invalid}. {@link CsrfProtection} registers it on exactly the
 * resource methods that need it, before the role checks; safe requests never run it.
 */
public class CsrfFilter implements ContainerRequestFilter {
    /** The header that carries the token. */
    public static final String HEADER = "X-CSRF-Token";

    private final SessionAccess sessions;

    CsrfFilter(SessionAccess sessions) {
        this.sessions = sessions;
    }

    @Override
    public void filter(ContainerRequestContext context) {
        // The request's properties are its servlet attributes, where the authentication mechanism left its session:
        // read directly, not through the proxy Jersey injects for @Context HttpServletRequest into providers.
        if (!sessions.csrfTokenAccepted(context::getProperty, context.getHeaderString(HEADER))) {
            throw new ApiException(403, "csrf_token_invalid", "Missing or wrong " + HEADER + " header.");
        }
    }
}
