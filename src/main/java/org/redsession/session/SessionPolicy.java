package org.redsession.session;

import java.time.Duration;
import java.util.Objects;

/**
 * The timing and size rules the session layer enforces, copied from configuration once.
 *
 * @param idleTimeout          default max inactive interval of signed-in sessions
 * @param absoluteTimeout      lifetime from creation, never extended by activity
 * @param touchInterval        a used but unchanged session has its idle deadline written back at most this often
 *                             (and at most every half of its own max inactive interval)
 * @param maxAttributeBytes    largest encoded attribute value
 * @param maxSessionBytes      largest total of all encoded fields of one session
 * @param anonymousIdleTimeout default max inactive interval of sessions nobody signed in to (at most
 *                             {@code idleTimeout}); a sign-in switches the session to {@code idleTimeout}
 * @param maxAttributes        most attributes one session may hold
 */
public record SessionPolicy(Duration idleTimeout, Duration absoluteTimeout, Duration touchInterval,
        int maxAttributeBytes, int maxSessionBytes, Duration anonymousIdleTimeout, int maxAttributes) {
    public SessionPolicy {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(absoluteTimeout, "absoluteTimeout");
        Objects.requireNonNull(touchInterval, "touchInterval");
        Objects.requireNonNull(anonymousIdleTimeout, "anonymousIdleTimeout");
        if (anonymousIdleTimeout.compareTo(idleTimeout) > 0) {
            throw new IllegalArgumentException("anonymousIdleTimeout " + anonymousIdleTimeout
                    + " is longer than idleTimeout " + idleTimeout);
        }
        if (maxAttributes < 1) {
            throw new IllegalArgumentException("maxAttributes must be positive, was " + maxAttributes);
        }
    }

    /** The same idle timeout for anonymous and signed-in sessions, and no cap on the number of attributes. */
    public SessionPolicy(Duration idleTimeout, Duration absoluteTimeout, Duration touchInterval, int maxAttributeBytes,
            int maxSessionBytes) {
        this(idleTimeout, absoluteTimeout, touchInterval, maxAttributeBytes, maxSessionBytes, idleTimeout,
                Integer.MAX_VALUE);
    }
}
