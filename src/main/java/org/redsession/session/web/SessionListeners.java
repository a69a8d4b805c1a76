package org.redsession.session.web;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;

import org.redsession.session.ExpiredSession;

/**
 * Delivers Servlet session events to the application's listeners. The container only knows its own sessions, so
 * listeners of Redis-backed sessions are found as CDI beans: any bean implementing {@link HttpSessionListener},
 * {@link HttpSessionAttributeListener} or {@link HttpSessionIdListener}. Events fire on the instance that caused
 * them. A listener that throws is logged and does not break the request.
 */
@ApplicationScoped
public class SessionListeners {
    private static final Logger LOG = Logger.getLogger(SessionListeners.class.getName());

    @Inject
    ServletContext context;
    @Inject
    @Any
    Instance<HttpSessionListener> lifecycle;
    @Inject
    @Any
    Instance<HttpSessionAttributeListener> attributes;
    @Inject
    @Any
    Instance<HttpSessionIdListener> ids;

    void created(HttpSessionEvent e) {
        each(lifecycle, l -> l.sessionCreated(e));
    }

    void destroyed(HttpSessionEvent e) {
        each(lifecycle, l -> l.sessionDestroyed(e));
    }

    /**
     * Announces a session that ended by timeout (found by the expiry sweep, once across all instances): {@code
     * sessionDestroyed} with a read-only view whose id is the session's opaque handle.
     */
    public void expired(ExpiredSession session) {
        destroyed(new HttpSessionEvent(new ExpiredHttpSession(session, context)));
    }

    void idChanged(HttpSessionEvent e, String oldId) {
        each(ids, l -> l.sessionIdChanged(e, oldId));
    }

    void attributeAdded(HttpSessionBindingEvent e) {
        each(attributes, l -> l.attributeAdded(e));
    }

    void attributeRemoved(HttpSessionBindingEvent e) {
        each(attributes, l -> l.attributeRemoved(e));
    }

    void attributeReplaced(HttpSessionBindingEvent e) {
        each(attributes, l -> l.attributeReplaced(e));
    }

    private static <L> void each(Instance<L> listeners, Consumer<L> call) {
        for (L listener : List.copyOf(listeners.stream().toList())) {
            try {
                call.accept(listener);
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "Session listener " + listener.getClass().getName() + " failed", ex);
            }
        }
    }
}
