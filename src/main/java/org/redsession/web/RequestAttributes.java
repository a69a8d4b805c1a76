package org.redsession.web;

/** Names of request attributes that carry authentication facts from the security layer to servlet-level code. */
public final class RequestAttributes {
    /**
     * Set by the authentication mechanism when the request's cookie named a session that has ended: the reason
     * ({@code expired}, {@code logout}, {@code revoked}, {@code evicted}, {@code password_changed}, ...).
     */
    public static final String SESSION_ENDED = "org.redsession.sessionEnded";

    /** Set (to {@code Boolean.TRUE}) when the session store could not be reached while authenticating. */
    public static final String STORE_UNAVAILABLE = "org.redsession.storeUnavailable";

    private RequestAttributes() {
    }
}
