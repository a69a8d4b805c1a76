package org.redsession.session;

import java.time.Duration;
import java.util.Objects;

/**
 * The timing and size rules the session layer enforces, copied from configuration once.
 *
 * @param idleTimeout       default max inactive interval of new sessions
 * @param absoluteTimeout   lifetime from creation, never extended by activity
 * @param touchInterval     a used but unchanged session has its idle deadline written back at most this often
 * @param maxAttributeBytes largest encoded attribute value
 * @param maxSessionBytes   largest total of all encoded fields of one session
 */
public record SessionPolicy(Duration idleTimeout, Duration absoluteTimeout, Duration touchInterval,
        int maxAttributeBytes, int maxSessionBytes) {
    public SessionPolicy {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(absoluteTimeout, "absoluteTimeout");
        Objects.requireNonNull(touchInterval, "touchInterval");
    }
}
