package org.redsession.session.web;

import java.util.Collections;
import java.util.Enumeration;

import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpSession;

import org.redsession.session.ExpiredSession;

/**
 * The {@link HttpSession} that {@code sessionDestroyed} receives for a session that ended by timeout: read-only,
 * with the attributes it held when it expired. Its id is the session's opaque handle (the one "my sessions" lists):
 * the real id is never known to the store. The signed-in user, if any, is the attribute {@value #USER_ATTRIBUTE}.
 */
final class ExpiredHttpSession implements HttpSession {
    /** Attribute carrying the name of the session's signed-in user (absent for an anonymous session). */
    static final String USER_ATTRIBUTE = "org.redsession.user";

    private final ExpiredSession session;
    private final ServletContext context;

    ExpiredHttpSession(ExpiredSession session, ServletContext context) {
        this.session = session;
        this.context = context;
    }

    @Override
    public long getCreationTime() {
        return session.createdAt();
    }

    @Override
    public String getId() {
        return session.handle();
    }

    @Override
    public long getLastAccessedTime() {
        return session.lastAccessedAt();
    }

    @Override
    public ServletContext getServletContext() {
        return context;
    }

    @Override
    public void setMaxInactiveInterval(int interval) {
        throw ended();
    }

    @Override
    public int getMaxInactiveInterval() {
        return session.maxInactiveSeconds();
    }

    @Override
    public Object getAttribute(String name) {
        if (USER_ATTRIBUTE.equals(name)) {
            return session.username();
        }
        return session.attributes().get(name);
    }

    @Override
    public Enumeration<String> getAttributeNames() {
        return Collections.enumeration(session.attributes().keySet());
    }

    @Override
    public void setAttribute(String name, Object value) {
        throw ended();
    }

    @Override
    public void removeAttribute(String name) {
        throw ended();
    }

    @Override
    public void invalidate() {
        throw ended();
    }

    @Override
    public boolean isNew() {
        return false;
    }

    private static IllegalStateException ended() {
        return new IllegalStateException("The session has expired");
    }
}
