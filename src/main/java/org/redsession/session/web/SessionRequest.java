package org.redsession.session.web;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionEvent;

import org.redsession.session.RequestSession;
import org.redsession.session.SessionEvents;
import org.redsession.session.SessionState;

/**
 * The request the application sees: every session method is answered by the Redis-backed session, never by the
 * container (which therefore never issues a {@code JSESSIONID}).
 */
final class SessionRequest extends HttpServletRequestWrapper {
    private final RequestSession session;
    private final ServletContext context;
    private final SessionListeners listeners;
    private final Runnable finishAsync;
    private RedisHttpSession view;
    private volatile SessionAsyncContext async;

    /**
     * @param finishAsync commits the session and releases the held-back response of this request; run when an
     *                    asynchronous request completes ({@link SessionAsyncContext})
     */
    SessionRequest(HttpServletRequest request, RequestSession session, ServletContext context, SessionListeners listeners,
            Runnable finishAsync) {
        super(request);
        this.session = session;
        this.context = context;
        this.listeners = listeners;
        this.finishAsync = finishAsync;
        session.setListener(new SessionEvents() {
            @Override
            public void created(SessionState s) {
                listeners.created(new HttpSessionEvent(viewOf(s)));
            }

            @Override
            public void invalidated(SessionState s, String reason) {
                listeners.destroyed(new HttpSessionEvent(viewOf(s)));
            }

            @Override
            public void idChanged(SessionState s, String oldId) {
                listeners.idChanged(new HttpSessionEvent(viewOf(s)), oldId);
            }
        });
    }

    private RedisHttpSession viewOf(SessionState s) {
        if (view == null || view.state() != s) {
            view = new RedisHttpSession(s, session, context, listeners);
        }
        return view;
    }

    @Override
    public HttpSession getSession(boolean create) {
        SessionState s = create ? session.getOrCreate() : session.current();
        if (s == null) {
            return null;
        }
        s.markAccessed();
        return viewOf(s);
    }

    @Override
    public HttpSession getSession() {
        return getSession(true);
    }

    @Override
    public String changeSessionId() {
        if (session.current() == null) {
            throw new IllegalStateException("There is no session associated with this request");
        }
        return session.changeId();
    }

    @Override
    public String getRequestedSessionId() {
        return session.requestedId();
    }

    @Override
    public boolean isRequestedSessionIdValid() {
        SessionState s = session.requestedId() == null ? null : session.current();
        return s != null && session.requestedId().equals(s.id());
    }

    @Override
    public boolean isRequestedSessionIdFromCookie() {
        return session.requestedId() != null;
    }

    @Override
    public boolean isRequestedSessionIdFromURL() {
        return false;
    }

    @Override
    public AsyncContext startAsync() {
        async = new SessionAsyncContext(super.startAsync(), finishAsync);
        return async;
    }

    @Override
    public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
        async = new SessionAsyncContext(super.startAsync(request, response), finishAsync);
        return async;
    }

    @Override
    public AsyncContext getAsyncContext() {
        SessionAsyncContext current = async;
        return current != null ? current : super.getAsyncContext();
    }

    /** True once the request went asynchronous: its {@link AsyncContext#complete()} then commits the session. */
    boolean wentAsync() {
        return async != null;
    }
}
