package org.redsession.api;

import java.util.Set;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.ext.Provider;

import org.redsession.api.error.ApiException;
import org.redsession.security.SessionAccess;

/**
 * Unsafe requests (POST, PUT, PATCH, DELETE) authenticated by the session cookie must carry {@code X-CSRF-Token}
 * with the session's token, else 403 {@code csrf_token_invalid}. Runs before the role checks.
 */
@Provider
@Priority(Priorities.AUTHENTICATION + 10)
public class CsrfFilter implements ContainerRequestFilter {
    /** The header that carries the token. */
    public static final String HEADER = "X-CSRF-Token";
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    @Context
    HttpServletRequest request;
    @Context
    ResourceInfo resource;
    @Inject
    SessionAccess sessions;

    @Override
    public void filter(ContainerRequestContext context) {
        if (SAFE.contains(context.getMethod())) {
            return;
        }
        if (resource.getResourceMethod() != null && resource.getResourceMethod().isAnnotationPresent(CsrfExempt.class)) {
            return;
        }
        if (!sessions.csrfTokenAccepted(request, context.getHeaderString(HEADER))) {
            throw new ApiException(403, "csrf_token_invalid", "Missing or wrong " + HEADER + " header.");
        }
    }
}
