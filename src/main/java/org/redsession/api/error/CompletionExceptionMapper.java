package org.redsession.api.error;

import java.util.concurrent.CompletionException;

import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.Providers;

/**
 * A resource answered with a {@code CompletionStage} that failed: Jersey passes on the {@link CompletionException}
 * the stage wraps around the real failure, so the failure is answered by its own mapper (a 401, a 503, ...) exactly
 * as if the resource had thrown it.
 */
@Provider
public class CompletionExceptionMapper implements ExceptionMapper<CompletionException> {
    @Context
    Providers providers;
    private final UnexpectedExceptionMapper unexpected = new UnexpectedExceptionMapper();

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Response toResponse(CompletionException e) {
        Throwable cause = e;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        ExceptionMapper mapper = cause instanceof CompletionException ? null : providers.getExceptionMapper(cause.getClass());
        if (mapper == null || mapper instanceof CompletionExceptionMapper) {
            return unexpected.toResponse(e);
        }
        return mapper.toResponse(cause);
    }
}
