package org.redsession.api.error;

import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.redsession.security.SessionAccess;
import org.redsession.session.SessionStoreUnavailableException;

/**
 * Gives the JAX-RS runtime's own errors the product's JSON body: 401 from the role checks becomes
 * {@code not_authenticated} or {@code session_expired} (with the reason), 403 {@code forbidden}, and every other
 * status a code named after it.
 */
@Provider
public class WebApplicationExceptionMapper implements ExceptionMapper<WebApplicationException> {

    @Context
    HttpServletRequest request;
    @Inject
    SessionAccess sessions;

    @Override
    public Response toResponse(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (e instanceof NotAuthorizedException || status == 401) {
            try {
                SessionAccess.Problem p = sessions.unauthenticated(request);
                return Errors.response(401, new ApiError(p.code(), p.message(), p.reason()));
            } catch (SessionStoreUnavailableException unavailable) {
                return SessionStoreUnavailableMapper.unavailable(unavailable);
            }
        }
        if (e instanceof ForbiddenException || status == 403) {
            return Errors.response(403, "forbidden", "You do not have permission to do this.");
        }
        return switch (status) {
            case 400 -> Errors.response(400, "invalid_request", "The request is malformed.");
            case 404 -> Errors.response(404, "not_found", "There is nothing here.");
            case 405 -> Errors.response(405, "method_not_allowed", "This method is not allowed here.");
            case 406 -> Errors.response(406, "not_acceptable", "This resource cannot produce the requested media type.");
            case 413 -> Errors.response(413, "payload_too_large", "The request body is too large.");
            case 415 -> Errors.response(415, "unsupported_media_type", "Send application/json.");
            default -> Errors.response(status, status >= 500 ? "internal_error" : "invalid_request",
                    status >= 500 ? "Something went wrong on our side." : "The request cannot be processed.");
        };
    }
}
