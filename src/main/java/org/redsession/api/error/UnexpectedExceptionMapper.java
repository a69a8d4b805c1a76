package org.redsession.api.error;

import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Anything unforeseen: logged once with its stack trace, answered 500 {@code internal_error} without details. */
@Provider
public class UnexpectedExceptionMapper implements ExceptionMapper<RuntimeException> {
    private static final Logger LOG = Logger.getLogger(UnexpectedExceptionMapper.class.getName());

    @Override
    public Response toResponse(RuntimeException e) {
        LOG.log(Level.SEVERE, "Unexpected error", e);
        return Errors.response(500, "internal_error", "Something went wrong on our side.");
    }
}
