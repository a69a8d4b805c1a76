package org.redsession.session;

import java.util.Map;

/**
 * A session that ended by idle or absolute timeout, as the expiry sweep announces it (once, on one instance).
 *
 * @param handle         the session's opaque handle (as {@link SessionManager#sessionsOf} lists it), never its id
 * @param username       its signed-in user, or null
 * @param createdAt      creation time (epoch ms; 0 when unknown)
 * @param lastAccessedAt last recorded access (epoch ms; 0 when unknown)
 * @param maxInactiveSeconds its idle timeout
 * @param attributes     its attributes at expiry, decoded (empty when unknown: an instance died while announcing it
 *                       and another took over)
 */
public record ExpiredSession(String handle, String username, long createdAt, long lastAccessedAt,
        int maxInactiveSeconds, Map<String, Object> attributes) {
    public ExpiredSession {
        attributes = Map.copyOf(attributes);
    }
}
