package org.redsession.session.web;

import java.util.Collections;
import java.util.Enumeration;

import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionBindingListener;

import org.redsession.session.RequestSession;
import org.redsession.session.SessionState;

/**
 * The {@link HttpSession} the application sees: a view of the request's {@link SessionState}, firing the Servlet
 * attribute and binding events on this instance. See {@link SessionState} for what is persisted and when.
 */
final class RedisHttpSession implements HttpSession {
    private final SessionState state;
    private final RequestSession requestSession;
    private final ServletContext context;
    private final SessionListeners listeners;

    RedisHttpSession(SessionState state, RequestSession requestSession, ServletContext context, SessionListeners listeners) {
        this.state = state;
        this.requestSession = requestSession;
        this.context = context;
        this.listeners = listeners;
    }

    SessionState state() {
        return state;
    }

    @Override
    public long getCreationTime() {
        checkValid();
        return state.createdAt();
    }

    @Override
    public String getId() {
        return state.id();
    }

    @Override
    public long getLastAccessedTime() {
        checkValid();
        return state.lastAccessedAt();
    }

    @Override
    public ServletContext getServletContext() {
        return context;
    }

    @Override
    public void setMaxInactiveInterval(int interval) {
        state.setMaxInactiveSeconds(interval);
    }

    @Override
    public int getMaxInactiveInterval() {
        return state.maxInactiveSeconds();
    }

    @Override
    public Object getAttribute(String name) {
        return state.getAttribute(name);
    }

    @Override
    public Enumeration<String> getAttributeNames() {
        return Collections.enumeration(state.getAttributeNames());
    }

    @Override
    public void setAttribute(String name, Object value) {
        if (value == null) {
            removeAttribute(name);
            return;
        }
        Object old = state.getAttribute(name);
        HttpSessionBindingListener bound = value instanceof HttpSessionBindingListener l && value != old ? l : null;
        if (bound != null) {
            bound.valueBound(new HttpSessionBindingEvent(this, name, value));
        }
        try {
            state.setAttribute(name, value);
        } catch (RuntimeException refused) {
            // Not stored (a cap, a type outside the allowlist, an invalid session): the value told it was bound
            // learns it is not.
            if (bound != null) {
                bound.valueUnbound(new HttpSessionBindingEvent(this, name, value));
            }
            throw refused;
        }
        if (old instanceof HttpSessionBindingListener unbound && value != old) {
            unbound.valueUnbound(new HttpSessionBindingEvent(this, name, old));
        }
        if (old == null) {
            listeners.attributeAdded(new HttpSessionBindingEvent(this, name, value));
        } else {
            listeners.attributeReplaced(new HttpSessionBindingEvent(this, name, old));
        }
    }

    @Override
    public void removeAttribute(String name) {
        Object old = state.getAttribute(name);
        state.removeAttribute(name);
        if (old != null) {
            if (old instanceof HttpSessionBindingListener unbound) {
                unbound.valueUnbound(new HttpSessionBindingEvent(this, name, old));
            }
            listeners.attributeRemoved(new HttpSessionBindingEvent(this, name, old));
        }
    }

    @Override
    public void invalidate() {
        checkValid();
        requestSession.invalidate("invalidated");
    }

    @Override
    public boolean isNew() {
        checkValid();
        return state.isNew();
    }

    private void checkValid() {
        if (state.isInvalidated()) {
            throw new IllegalStateException("The session has been invalidated");
        }
    }
}
