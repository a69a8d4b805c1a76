package org.redsession.api.error;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.redsession.security.ReauthenticationRequiredException;

/** A sensitive action on a session signed in too long ago: 401 {@code reauthentication_required}. */
@Provider
public class ReauthenticationRequiredMapper implements ExceptionMapper<ReauthenticationRequiredException> {
    @Override
    public Response toResponse(ReauthenticationRequiredException e) {
        return Errors.response(401, "reauthentication_required",
                "Please enter your password again to continue: this action needs a recent sign-in.");
    }
}
