package org.redsession.session.web;

import java.io.IOException;
import java.util.Collections;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.inject.Inject;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.redsession.config.SecuritySettings;
import org.redsession.session.RequestSession;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionStoreUnavailableException;
import org.redsession.session.TooManyNewSessionsException;
import org.redsession.web.ClientAddress;
import org.redsession.web.JsonError;

/**
 * Replaces the container's HTTP session with the Redis-backed one. <strong>Must come before every filter that
 * touches {@code HttpSession} or can commit the response</strong> (in {@code web.xml} only the count of responses by
 * status, which does neither, runs before it).
 *
 * <p>Per request: resolves the signed cookie (reusing what the authentication mechanism already resolved), loads the
 * session on first use in at most one Redis round trip, and before the response is released commits the changes
 * in at most one round trip and sets or clears the cookie. If Redis cannot be reached, the request gets 503
 * {@code session_store_unavailable}, never a fresh session. A request that would store a new anonymous session while
 * its client is over the session-creation limit gets 429 {@code too_many_sessions} and nothing is stored.
 *
 * <p>The answer to a request that wrote to the store (an unsafe method, or a session written) is released only once
 * those writes are visible to every instance ({@link SessionManager#awaitWritesVisible}): with the near cache, that
 * holds it back by {@code session.near-cache.fence}, during which the request is asynchronous and holds no thread.
 *
 * <p>A request that goes asynchronous (a JAX-RS resource answering with a {@code CompletionStage}, as the sign-in
 * does while the password is hashed) is committed when it completes ({@link SessionAsyncContext}), still before its
 * response is released. Dispatching such a request ({@code AsyncContext.dispatch}) is not supported.
 */
public class SessionFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(SessionFilter.class.getName());
    private static final int SMALL_BODY = 16 * 1024;
    /** Releases answers held back by the write fence (it only schedules; the container's threads send them). */
    private final transient ScheduledExecutorService fenceTimer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "redsession-write-fence");
        t.setDaemon(true);
        return t;
    });

    @Inject
    transient SessionManager manager;
    @Inject
    transient SessionCookieWriter cookies;
    @Inject
    transient SessionListeners listeners;
    @Inject
    transient SecuritySettings securitySettings;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        RequestSession session = manager.forRequest(request::getAttribute, request::setAttribute,
                () -> Collections.list(request.getHeaders("Cookie")));
        session.setClientAddress(() -> ClientAddress.bucket(ClientAddress.of(request, securitySettings.trustedProxies())));
        boolean unsafe = !("GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod())
                || "OPTIONS".equals(request.getMethod()));
        SessionResponse wrappedResponse = new SessionResponse(response, () -> {
            if (unsafe) {
                session.countAsActivity(); // acting through the session keeps it alive (GET /api/me does not)
            }
            cookies.apply(response, session.commit());
            // Whatever this request wrote (its session, or another's: sign-out, revoke, password change, a user
            // deleted) must be visible to every instance before its answer leaves (the near cache's fence).
            return (unsafe || session.wrote()) && manager.writeFenceNanos() > 0;
        }, manager::awaitWritesVisible);
        SessionRequest wrappedRequest = new SessionRequest(request, session, request.getServletContext(), listeners,
                () -> finishAsync(response, wrappedResponse));
        try {
            chain.doFilter(wrappedRequest, wrappedResponse);
            if (!wrappedRequest.wentAsync()) {
                if (wrappedResponse.commitHeld()) {
                    releaseAfterFence(request, response, wrappedResponse);
                } else {
                    wrappedResponse.release();
                }
            }
        } catch (ServletException | RuntimeException e) {
            if (!answeredAsError(response, wrappedResponse, e)) {
                throw e;
            }
        }
    }

    @Override
    public void destroy() {
        fenceTimer.shutdown();
        super.destroy();
    }

    /**
     * Releases the held-back answer once the write fence has passed, without holding a request thread meanwhile: the
     * request goes asynchronous and a timer completes it (so writes per second are not bounded by threads / fence).
     */
    private void releaseAfterFence(HttpServletRequest request, HttpServletResponse response,
            SessionResponse wrappedResponse) throws IOException {
        if (!request.isAsyncSupported()) {
            manager.awaitWritesVisible();
            wrappedResponse.release();
            return;
        }
        AsyncContext async = request.startAsync(request, response);
        Runnable send = () -> {
            try {
                wrappedResponse.release();
            } catch (IOException | RuntimeException e) {
                LOG.fine(() -> "Client gone before the response was sent: " + e);
            } finally {
                async.complete();
            }
        };
        // A small body (almost every answer of the API) is sent by the timer thread itself, which costs less than
        // handing it to a container thread; a large one could block on a slow client, so a container thread sends it.
        boolean small = wrappedResponse.heldBytes() <= SMALL_BODY;
        fenceTimer.schedule(small ? send : () -> async.start(send), manager.writeFenceNanos(), TimeUnit.NANOSECONDS);
    }

    /** The end of an asynchronous request: what {@link #doFilter} does after the chain of a synchronous one. */
    private void finishAsync(HttpServletResponse response, SessionResponse wrappedResponse) {
        try {
            wrappedResponse.finish();
        } catch (IOException e) {
            LOG.fine(() -> "Client gone before the response was sent: " + e);
        } catch (RuntimeException e) {
            try {
                if (!answeredAsError(response, wrappedResponse, e)) {
                    LOG.log(Level.SEVERE, "Completing an asynchronous request failed", e);
                    wrappedResponse.discard();
                    JsonError.send(response, 500, "internal_error", "Something went wrong on our side.");
                }
            } catch (IOException gone) {
                LOG.fine(() -> "Client gone before the error was sent: " + gone);
            }
        }
    }

    /**
     * Answers a failure of the session store (503) or a refused session creation (429) found in {@code e}'s causes,
     * discarding the held-back body. False, and nothing sent, for any other failure.
     */
    private static boolean answeredAsError(HttpServletResponse response, SessionResponse wrappedResponse, Exception e)
            throws IOException {
        Throwable cause = e;
        while (cause != null && !(cause instanceof SessionStoreUnavailableException)
                && !(cause instanceof TooManyNewSessionsException)) {
            cause = cause.getCause();
        }
        if (cause == null) {
            return false;
        }
        wrappedResponse.discard();
        if (cause instanceof SessionStoreUnavailableException unavailable) {
            LOG.warning(() -> "Session store unavailable: " + unavailable.getMessage());
            // The same answer as the JAX-RS mapper gives for this failure.
            error(response, 503, "session_store_unavailable", SessionStoreUnavailableException.CLIENT_MESSAGE, 1);
        } else if (cause instanceof TooManyNewSessionsException refused) {
            LOG.fine(() -> "Session creation refused: " + refused.getMessage());
            error(response, 429, "too_many_sessions", refused.clientMessage(), refused.retryAfterSeconds());
        }
        return true;
    }

    private static void error(HttpServletResponse response, int status, String code, String message,
            long retryAfterSeconds) throws IOException {
        if (!response.isCommitted()) {
            response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
        }
        JsonError.send(response, status, code, message);
    }
}
