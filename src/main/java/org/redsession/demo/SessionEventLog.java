package org.redsession.demo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;

import org.redsession.config.DemoSettings;

/**
 * Counts the Servlet session events this instance delivered (a CDI bean, which is how listeners of the Redis-backed
 * session are found). Shown by {@link SessionDemoResource}.
 */
@ApplicationScoped
public class SessionEventLog implements HttpSessionListener, HttpSessionAttributeListener, HttpSessionIdListener {
    private static final Logger LOG = Logger.getLogger(SessionEventLog.class.getName());

    @Inject
    DemoSettings settings;
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
        if (settings.logSessionEvents()) {
            // One line per ended session, with a short hash of its id (never the id): lets tests check that each
            // expiry was announced exactly once across instances, even by an instance that was killed afterwards.
            String id = se.getSession().getId();
            LOG.info(() -> "Demo listener: sessionDestroyed " + shortHash(id));
        }
    }

    /** The first 12 hex digits of SHA-256 of a session id: identifies it in logs without revealing it. */
    static String shortHash(String id) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
