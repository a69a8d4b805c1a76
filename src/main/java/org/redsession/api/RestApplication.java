package org.redsession.api;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.Components;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeIn;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

import org.redsession.api.error.ApiError;

/**
 * The REST API, under {@code /api}. Resources and providers are discovered by scanning; the MicroProfile OpenAPI
 * description of every endpoint is served at {@code /openapi}.
 */
@ApplicationPath("/api")
@OpenAPIDefinition(info = @Info(title = "redsession API", version = "1",
        description = "Sign in, sessions kept in Redis, \"my sessions\" and administration. Every error is "
                + "{\"error\": \"<code>\", \"message\": \"<text>\"}. Unsafe methods authenticated by the session cookie "
                + "need the X-CSRF-Token header (sign-in is exempt)."),
        components = @Components(
                securitySchemes = {
                    @SecurityScheme(securitySchemeName = "session", type = SecuritySchemeType.APIKEY,
                            in = SecuritySchemeIn.COOKIE, apiKeyName = "__Host-SID",
                            description = "The signed session cookie set by POST /api/auth/login"),
                    @SecurityScheme(securitySchemeName = "csrf", type = SecuritySchemeType.APIKEY,
                            in = SecuritySchemeIn.HEADER, apiKeyName = "X-CSRF-Token",
                            description = "The session's csrfToken (from login or GET /api/session); unsafe methods only")},
                responses = {
                    @APIResponse(name = "Unauthenticated", responseCode = "401",
                            description = "No valid session (not_authenticated) or the session ended (session_expired)",
                            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ApiError.class),
                                    examples = {
                                        @ExampleObject(name = "not_authenticated",
                                                value = "{\"error\":\"not_authenticated\",\"message\":\"Please sign in.\"}"),
                                        @ExampleObject(name = "session_expired", value = "{\"error\":\"session_expired\","
                                                + "\"message\":\"You were signed out from another device.\"}")})),
                    @APIResponse(name = "Forbidden", responseCode = "403",
                            description = "Missing role (forbidden) or missing/wrong X-CSRF-Token (csrf_token_invalid)",
                            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ApiError.class),
                                    examples = @ExampleObject(name = "csrf_token_invalid", value = "{\"error\":"
                                            + "\"csrf_token_invalid\",\"message\":\"Missing or wrong X-CSRF-Token header.\"}"))),
                    @APIResponse(name = "BadRequest", responseCode = "400", description = "Malformed or invalid input",
                            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ApiError.class),
                                    examples = @ExampleObject(name = "invalid_request", value = "{\"error\":"
                                            + "\"invalid_request\",\"message\":\"'username' is required.\"}"))),
                    @APIResponse(name = "NotFound", responseCode = "404", description = "No such resource",
                            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ApiError.class))),
                    @APIResponse(name = "Unavailable", responseCode = "503",
                            description = "Redis is unreachable (session_store_unavailable); retry shortly",
                            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ApiError.class),
                                    examples = @ExampleObject(name = "session_store_unavailable", value = "{\"error\":"
                                            + "\"session_store_unavailable\",\"message\":\"The session store is unavailable. "
                                            + "Please try again shortly.\"}")))}))
public class RestApplication extends Application {
}
