package org.redsession.api;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import org.redsession.api.error.ApiException;
import org.redsession.security.SessionAccess;

/** Sign in and sign out. */
@Path("auth")
@Tag(name = "auth", description = "Sign in and sign out")
@Produces(MediaType.APPLICATION_JSON)
@ApplicationScoped
public class AuthResource {

    /** Body of a successful sign-in. */
    public record LoginResponse(String username, Set<String> roles, String csrfToken) {
    }

    @Inject
    SessionAccess sessions;

    /** {@code POST /api/auth/login} with JSON {@code {"username","password"}}. */
    @Operation(summary = "Sign in with a JSON body; sets a new session cookie (the id rotates)")
    @APIResponse(responseCode = "200", description = "Signed in: user name, roles and the CSRF token")
    @APIResponse(responseCode = "401", description = "invalid_credentials")
    @APIResponse(responseCode = "429", description = "too_many_attempts; see Retry-After")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "503", description = "session_store_unavailable, or server_busy (too many sign-ins "
            + "at once); see Retry-After")
    @POST
    @Path("login")
    @Consumes(MediaType.APPLICATION_JSON)
    @CsrfExempt
    public CompletionStage<LoginResponse> loginJson(@Context HttpServletRequest request, String body) {
        JsonObject json = Json.object(body);
        return login(request, Json.requiredString(json, "username"), Json.requiredString(json, "password"));
    }

    /** {@code POST /api/auth/login} with form fields {@code username} and {@code password}. */
    @Operation(summary = "Sign in with form fields username and password")
    @APIResponse(responseCode = "200", description = "Signed in")
    @APIResponse(responseCode = "401", description = "invalid_credentials")
    @APIResponse(responseCode = "429", description = "too_many_attempts; see Retry-After")
    @POST
    @Path("login")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @CsrfExempt
    public CompletionStage<LoginResponse> loginForm(@Context HttpServletRequest request,
            @FormParam("username") String username,
            @FormParam("password") String password) {
        if (username == null || password == null) {
            throw new ApiException(400, "invalid_request", "'username' and 'password' are required.");
        }
        return login(request, username, password);
    }

    /** Answered asynchronously: the HTTP thread is free while the password is hashed ({@code PasswordHashing}). */
    private CompletionStage<LoginResponse> login(HttpServletRequest request, String username, String password) {
        return answer(sessions.login(request, username, password), "Wrong user name or password.");
    }

    /** A sign-in's answer: the signed-in caller, or 401 {@code invalid_credentials} with {@code wrong}. */
    private static CompletionStage<LoginResponse> answer(CompletionStage<Optional<SessionAccess.SignedIn>> signIn,
            String wrong) {
        return signIn.thenApply(signedIn -> signedIn
                .map(s -> new LoginResponse(s.username(), s.roles(), s.csrfToken()))
                .orElseThrow(() -> new ApiException(401, "invalid_credentials", wrong)));
    }

    /** The 401 for a caller without a live signed-in session: why (expired and its reason, or not signed in). */
    private ApiException unauthenticated(HttpServletRequest request) {
        SessionAccess.Problem p = sessions.unauthenticated(request);
        return new ApiException(401, p.code(), p.message(), p.reason());
    }

    /**
     * {@code POST /api/auth/reauthenticate} with JSON {@code {"password"}}: the signed-in user proves the password
     * again before a sensitive action ({@code security.reauth-max-age}); the session keeps its data and gets a new id,
     * CSRF token and sign-in time.
     */
    @Operation(summary = "Enter the password again (step-up): the session stays, its id, CSRF token and sign-in time "
            + "are renewed")
    @APIResponse(responseCode = "200", description = "Re-authenticated: user name, roles and the new CSRF token")
    @APIResponse(responseCode = "401", description = "invalid_credentials (wrong password), or not signed in")
    @APIResponse(responseCode = "429", description = "too_many_attempts; see Retry-After")
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @SecurityRequirement(name = "session")
    @SecurityRequirement(name = "csrf")
    @POST
    @Path("reauthenticate")
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<LoginResponse> reauthenticate(@Context HttpServletRequest request, String body) {
        String password = Json.requiredString(Json.object(body), "password");
        if (sessions.identity(request).isEmpty()) {
            throw unauthenticated(request);
        }
        return answer(sessions.reauthenticate(request, password), "Wrong password.");
    }

    /** {@code POST /api/auth/logout}: ends the session; the cookie is expired. */
    @Operation(summary = "Sign out: the session is deleted in Redis and the cookie expired")
    @APIResponse(responseCode = "204", description = "Signed out")
    @APIResponse(responseCode = "401", ref = "Unauthenticated")
    @APIResponse(responseCode = "403", ref = "Forbidden")
    @SecurityRequirement(name = "session")
    @SecurityRequirement(name = "csrf")
    @POST
    @Path("logout")
    public Response logout(@Context HttpServletRequest request) {
        if (!sessions.logout(request)) {
            throw unauthenticated(request);
        }
        return Response.noContent().build();
    }
}
