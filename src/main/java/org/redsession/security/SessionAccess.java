package org.redsession.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.credential.Password;
import jakarta.security.enterprise.credential.UsernamePasswordCredential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStoreHandler;
import jakarta.servlet.http.HttpServletRequest;

import org.redsession.account.AccountService;
import org.redsession.account.PasswordHashing;
import org.redsession.config.SecuritySettings;
import org.redsession.metrics.SessionMetrics;
import org.redsession.session.AuditEvent;
import org.redsession.session.RequestSession;
import org.redsession.session.SessionGoneException;
import org.redsession.session.SessionSummary;
import org.redsession.session.SessionIdentity;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionState;
import org.redsession.web.ClientAddress;

/**
 * What the REST layer may do with the caller's Redis session: sign in (through the identity stores), sign out,
 * describe it, increment a counter atomically, check the CSRF token, and explain a 401. Thin on purpose: the rules
 * live in {@link RequestSession} and {@link SessionState}.
 */
@ApplicationScoped
public class SessionAccess {

    /** A successful sign-in. */
    public record SignedIn(String username, Set<String> roles, String csrfToken) {
    }

    /** The caller's session as {@code GET /api/session} shows it. */
    public record SessionInfo(String username, Set<String> roles, Instant createdAt, Instant lastAccessedAt,
            Instant idleExpiresAt, Instant absoluteExpiresAt, String csrfToken, Set<String> attributes) {
    }

    /** Why a request is not authenticated: an error code, a message for people, and why the session ended (or null). */
    public record Problem(String code, String message, String reason) {
    }

    @Inject
    SessionManager sessions;
    @Inject
    IdentityStoreHandler identityStores;
    @Inject
    LoginAttempts attempts;
    @Inject
    SecuritySettings securitySettings;
    @Inject
    AccountService accounts;
    @Inject
    PasswordHashing hashing;
    @Inject
    SessionMetrics metrics;

    private RequestSession of(HttpServletRequest request) {
        return sessions.forRequest(request::getAttribute, request::setAttribute,
                () -> Collections.list(request.getHeaders("Cookie")));
    }

    /**
     * Checks the credentials with the identity stores and, when valid, signs the caller in: the session gets a new
     * id (the previous one stops working), the identity and a new CSRF token. Failed attempts are counted per account
     * and per client address across all instances.
     *
     * <p>The throttle is checked here, on the caller's thread, so a refused attempt never waits for password
     * hashing; the credential check and the sign-in then run under the hashing bulkhead ({@link PasswordHashing}),
     * and the caller's thread is free meanwhile. Everything the sign-in needs from the request is read before.
     *
     * @return completes with the signed-in caller, or empty for wrong credentials; exceptionally with
     *         {@link org.redsession.account.PasswordHashingBusyException} when hashing is saturated, or with what the
     *         sign-in threw (e.g. the store is unavailable)
     * @throws TooManyAttemptsException when the account or the client has failed too often recently
     */
    public CompletionStage<Optional<SignedIn>> login(HttpServletRequest request, String username, String password) {
        String client = ClientAddress.of(request, securitySettings.trustedProxies());
        String clientBucket = ClientAddress.bucket(client);
        LoginAttempts.Check check = attempts.check(username, clientBucket);
        if (check.blocked()) {
            metrics.loginThrottled();
            throw new TooManyAttemptsException(check.waitMillis());
        }
        RequestSession session = of(request);
        String userAgent = request.getHeader("User-Agent");
        return hashing.submit(() -> {
            CredentialValidationResult result = identityStores.validate(
                    new UsernamePasswordCredential(username, new Password(password)));
            if (result.getStatus() != CredentialValidationResult.Status.VALID) {
                attempts.failed(username, clientBucket);
                metrics.loginFailed();
                recordFailure(username, client, userAgent);
                return Optional.empty();
            }
            if (check.accountFailures() > 0) {
                attempts.succeeded(username);
            }
            metrics.loginSucceeded();
            String name = result.getCallerPrincipal().getName();
            Set<String> roles = new TreeSet<>(result.getCallerGroups());
            SessionState signedIn = session.login(name, roles, client, userAgent);
            return Optional.of(new SignedIn(name, roles, signedIn.csrfToken()));
        });
    }

    /** The audit trail's record of a failed sign-in: best effort, it never changes the answer. */
    private void recordFailure(String username, String client, String userAgent) {
        try {
            sessions.recordFailedSignIn(username, client, userAgent);
        } catch (RuntimeException e) {
            java.util.logging.Logger.getLogger(SessionAccess.class.getName())
                    .warning(() -> "A failed sign-in could not be recorded in the audit trail: " + e.getMessage());
        }
    }

    /** The caller's audit trail, newest first; empty when not signed in. */
    public List<AuditEvent> myActivity(HttpServletRequest request) {
        return of(request).identity().map(i -> sessions.activity(i.username())).orElse(List.of());
    }

    /** The handle of the caller's session, or null. */
    public String currentHandle(HttpServletRequest request) {
        SessionState s = of(request).current();
        return s == null ? null : SessionManager.handleOf(s.key());
    }

    /**
     * Step-up for a sensitive action: passes when the caller's sign-in is at most {@code security.reauth-max-age} old
     * (or the check is off).
     *
     * @throws ReauthenticationRequiredException when the sign-in is older: the user must enter the password again
     */
    public void requireRecentSignIn(HttpServletRequest request) {
        long maxAge = securitySettings.reauthMaxAge().toMillis();
        RequestSession session = of(request);
        SessionState s = session.current();
        if (maxAge > 0 && s != null && session.now() - s.authTime() > maxAge) {
            throw new ReauthenticationRequiredException();
        }
    }

    /**
     * Re-authenticates the caller with the password of the signed-in user: like a sign-in of the same user, the
     * session keeps its data and gets a new id, CSRF token and sign-in time.
     *
     * @return as {@link #login}; empty also when the caller is not signed in
     */
    public CompletionStage<Optional<SignedIn>> reauthenticate(HttpServletRequest request, String password) {
        Optional<SessionIdentity> identity = of(request).identity();
        if (identity.isEmpty()) {
            return java.util.concurrent.CompletableFuture.completedFuture(Optional.empty());
        }
        return login(request, identity.get().username(), password);
    }

    /** One of the caller's sessions, as "my sessions" lists them. */
    public record MySession(SessionSummary session, boolean current) {
    }

    /** The caller's live sessions, the current one marked. */
    public List<MySession> mySessions(HttpServletRequest request) {
        SessionState s = of(request).current();
        SessionIdentity identity = s == null ? null : s.identity().orElse(null);
        if (identity == null) {
            return List.of();
        }
        String currentHandle = SessionManager.handleOf(s.key());
        return sessions.sessionsOf(identity.username()).stream()
                .map(x -> new MySession(x, x.handle().equals(currentHandle))).toList();
    }

    /**
     * Ends one of the caller's sessions (another device's needs a recent sign-in, as {@link #requireRecentSignIn}).
     *
     * @return false when the handle is not one of the caller's live sessions
     */
    public boolean revokeMine(HttpServletRequest request, String handle) {
        SessionIdentity identity = of(request).identity().orElse(null);
        if (identity == null) {
            return false;
        }
        if (handle != null && handle.equals(SessionManager.handleOf(of(request).current().key()))) {
            of(request).invalidate("logout");
            return true;
        }
        requireRecentSignIn(request); // ending another device's session is a sensitive action (ASVS 7.5.2)
        return sessions.revoke(identity.username(), handle, "revoked");
    }

    /**
     * Ends every other session of the caller; the current one stays signed in with a new id.
     *
     * @throws ReauthenticationRequiredException when the caller's sign-in is older than {@code security.reauth-max-age}
     */
    public int revokeOthers(HttpServletRequest request) {
        requireRecentSignIn(request);
        return of(request).revokeOthers("revoked");
    }

    /**
     * Changes the caller's password: every other session ends, the current one gets a new id. The password is
     * written only after the current session's rotation succeeded, which the store refuses atomically when the
     * session ended while the passwords were being hashed (revoked elsewhere, signed out): then nothing changes and
     * the caller learns that its session ended, instead of a password changed through a session that had already
     * ended (found by the fault campaign, issue 15).
     *
     * @return false when the current password is wrong, also when another change of the same password won while
     *         this one was hashing (of two concurrent changes from the same old password, only one is stored)
     * @throws SessionGoneException if the session ended while the passwords were checked (nothing was changed)
     */
    public boolean changePassword(HttpServletRequest request, String currentPassword, String newPassword) {
        RequestSession session = of(request);
        SessionIdentity identity = session.identity().orElseThrow(() -> new IllegalStateException("not signed in"));
        Optional<AccountService.NewPassword> change = accounts.hashNewPassword(identity.username(), currentPassword,
                newPassword);
        if (change.isEmpty()) {
            return false;
        }
        session.revokeOthers("password_changed");
        return switch (accounts.setPassword(identity.username(), change.get())) {
            case UPDATED -> true;
            // Another change of this user's password won meanwhile: the current password given is no longer it.
            case CHANGED_MEANWHILE -> false;
            // The account was deleted meanwhile, and with it every session.
            case NO_ACCOUNT -> throw new SessionGoneException(session.current().key());
        };
    }

    /** Ends the caller's session. @return false when there was no live session */
    public boolean logout(HttpServletRequest request) {
        RequestSession session = of(request);
        if (session.current() == null) {
            return false;
        }
        session.invalidate("logout");
        return true;
    }

    /** The signed-in identity of the caller's session, read-only (the session is not written). */
    public Optional<SessionIdentity> identity(HttpServletRequest request) {
        return of(request).identity();
    }

    /**
     * Describes the caller's live session and refreshes its idle deadline. Listing the attribute names reads every
     * attribute, so unreadable ones are found (and counted) here.
     */
    public Optional<SessionInfo> describeAndTouch(HttpServletRequest request) {
        SessionState s = of(request).current();
        if (s == null) {
            return Optional.empty();
        }
        s.touch();
        Optional<SessionIdentity> identity = s.identity();
        return Optional.of(new SessionInfo(identity.map(SessionIdentity::username).orElse(null),
                identity.map(SessionIdentity::roles).orElse(Set.of()), Instant.ofEpochMilli(s.createdAt()),
                Instant.ofEpochMilli(of(request).now()), Instant.ofEpochMilli(s.idleDeadline()),
                Instant.ofEpochMilli(s.absoluteDeadline()), s.csrfToken(), s.getAttributeNames()));
    }

    /** Atomically adds one to the integer session attribute {@code name} and returns the new value. */
    public long increment(HttpServletRequest request, String name) {
        return of(request).increment(name, 1);
    }

    /**
     * Whether an unsafe request passes the CSRF check: requests authenticated by a session must present its token;
     * requests without a signed-in session are left to the authorization checks.
     *
     * @param requestAttributes reads the request's attributes, where the authentication mechanism (which runs for
     *                          every request) left the request's session
     */
    public boolean csrfTokenAccepted(Function<String, Object> requestAttributes, String presented) {
        RequestSession session = RequestSession.from(requestAttributes).orElse(null);
        if (session == null || session.status() != RequestSession.Status.AUTHENTICATED) {
            return true;
        }
        String expected = session.current().csrfToken();
        return expected != null && presented != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII), presented.getBytes(StandardCharsets.US_ASCII));
    }

    /** Why the caller is not authenticated: {@code session_expired} (with the reason) or {@code not_authenticated}. */
    public Problem unauthenticated(HttpServletRequest request) {
        RequestSession session = of(request);
        if (session.status() == RequestSession.Status.ENDED) {
            return new Problem("session_expired", reasonText(session.goneReason()), session.goneReason());
        }
        return new Problem("not_authenticated", "Please sign in.", null);
    }

    /** A sentence for people explaining why a session ended. */
    public static String reasonText(String reason) {
        return switch (reason == null ? "" : reason) {
            case "expired" -> "Your session expired. Please sign in again.";
            case "logout" -> "You signed out. Please sign in again.";
            case "revoked" -> "You were signed out from another device.";
            case "evicted" -> "You were signed out because you signed in on too many devices.";
            case "password_changed" -> "Your password was changed. Please sign in again.";
            case "user_deleted" -> "Your account was removed.";
            case "rotated" -> "Your session was renewed elsewhere. Please sign in again.";
            case "invalid" -> "Your session could not be verified and was ended. Please sign in again.";
            default -> "Your session ended. Please sign in again.";
        };
    }
}
