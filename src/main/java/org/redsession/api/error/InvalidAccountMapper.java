package org.redsession.api.error;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.redsession.account.InvalidAccountException;

/** A user name, password or role that breaks the rules: 400 {@code invalid_request} with the rule. */
@Provider
public class InvalidAccountMapper implements ExceptionMapper<InvalidAccountException> {
    @Override
    public Response toResponse(InvalidAccountException e) {
        return Errors.response(400, "invalid_request", e.getMessage());
    }
}
