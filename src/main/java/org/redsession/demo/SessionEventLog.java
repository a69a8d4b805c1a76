package org.redsession.demo;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;

/**
 * Counts the Servlet session events this instance delivered (a CDI bean, which is how listeners of the Redis-backed
 * session are found). Shown by {@link SessionDemoResource}.
 */
@ApplicationScoped
public class SessionEventLog implements HttpSessionListener, HttpSessionAttributeListener, HttpSessionIdListener {
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    private void count(String event) {
        counts.computeIfAbsent(event, e -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void sessionCreated(HttpSessionEvent se) {
        count("sessionCreated");
    }

    @Override
    public void sessionDestroyed(HttpSessionEvent se) {
        count("sessionDestroyed");
    }

    @Override
    public void attributeAdded(HttpSessionBindingEvent event) {
        count("attributeAdded");
    }

    @Override
    public void attributeRemoved(HttpSessionBindingEvent event) {
        count("attributeRemoved");
    }

    @Override
    public void attributeReplaced(HttpSessionBindingEvent event) {
        count("attributeReplaced");
    }

    @Override
    public void sessionIdChanged(HttpSessionEvent event, String oldSessionId) {
        count("sessionIdChanged");
    }

    /** Event name to count, sorted. */
    public Map<String, Long> counts() {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }
}
