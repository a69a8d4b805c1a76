package org.redsession.security;

import java.util.Collections;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.AuthenticationStatus;
import jakarta.security.enterprise.authentication.mechanism.http.HttpAuthenticationMechanism;
import jakarta.security.enterprise.authentication.mechanism.http.HttpMessageContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.redsession.session.RequestSession;
import org.redsession.session.SessionIdentity;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionStoreUnavailableException;
import org.redsession.web.RequestAttributes;

/**
 * Authenticates every request from the Redis session named by its signed cookie, so any instance recognises a user
 * signed in on another. It runs before servlet filters, so it resolves the session itself through the
 * {@link SessionManager} and leaves the result in the request for the session filter (one load per request). It
 * never uses the container's session or {@code @AutoApplySession}. Signing in happens in {@link SessionAccess}.
 *
 * <p>If Redis cannot be reached the request continues unauthenticated but remembers the failure: anything that
 * needs the session then answers 503, not 401.
 */
@ApplicationScoped
public class SessionAuthenticationMechanism implements HttpAuthenticationMechanism {

    @Inject
    SessionManager sessions;

    @Override
    public AuthenticationStatus validateRequest(HttpServletRequest request, HttpServletResponse response,
            HttpMessageContext context) {
        RequestSession session = sessions.forRequest(request::getAttribute, request::setAttribute,
                () -> Collections.list(request.getHeaders("Cookie")));
        try {
            SessionIdentity identity = session.identity().orElse(null);
            if (identity != null) {
                return context.notifyContainerAboutLogin(identity.username(), identity.roles());
            }
            if (session.status() == RequestSession.Status.ENDED) {
                request.setAttribute(RequestAttributes.SESSION_ENDED, session.goneReason());
            }
        } catch (SessionStoreUnavailableException e) {
            // Remembered by the RequestSession; answered with 503 where the session is needed.
            request.setAttribute(RequestAttributes.STORE_UNAVAILABLE, Boolean.TRUE);
        }
        return context.doNothing();
    }
}
