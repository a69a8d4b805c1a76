package org.redsession.api.error;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.redsession.security.TooManyAttemptsException;

/** Sign-in throttled: 429 {@code too_many_attempts} with {@code Retry-After} in seconds. */
@Provider
public class TooManyAttemptsMapper implements ExceptionMapper<TooManyAttemptsException> {
    @Override
    public Response toResponse(TooManyAttemptsException e) {
        return Errors.tooMany("too_many_attempts", "Too many failed sign-ins. Try again in " + e.retryAfterSeconds()
                + " seconds.", e.retryAfterSeconds());
    }
}
