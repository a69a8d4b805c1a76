package org.redsession.api.error;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.redsession.account.PasswordHashingBusyException;

/** Password hashing saturated (too many sign-ins at once): 503 {@code server_busy}, with {@code Retry-After}. */
@Provider
public class PasswordHashingBusyMapper implements ExceptionMapper<PasswordHashingBusyException> {
    @Override
    public Response toResponse(PasswordHashingBusyException e) {
        return Response.fromResponse(Errors.response(503, "server_busy",
                "Too many sign-ins at once. Please try again in a moment.")).header("Retry-After",
                        Long.toString(e.retryAfterSeconds())).build();
    }
}
