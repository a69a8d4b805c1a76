package org.redsession.session;

import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

import jakarta.json.Json;

/**
 * The audit trail's copy in the server log: one JSON line per event ({@link AuditEvent#toLogLine()}) on the logger
 * {@code org.redsession.audit}, written by the store once the event is recorded, so a log collector keeps the
 * history beyond the trail's bounds. Never a session id or a password.
 */
public final class AuditLog {
    private static final Logger LOG = Logger.getLogger("org.redsession.audit");
    /** Rejected cookies not yet logged, and when the last line about them was written (ms). */
    private static final AtomicLong REJECTED = new AtomicLong();
    private static final AtomicLong REJECTED_LOGGED_AT = new AtomicLong();

    private AuditLog() {
    }

    /**
     * Counts a session cookie that was forged, malformed or one of several: no user is known, so it goes to the log
     * only, as {@code {"audit":"cookie_rejected","count":n,...}}, at most one line per second per instance (the count
     * says how many since the last line), so that a flood of forged cookies cannot flood the log.
     *
     * @param now the time (epoch ms)
     */
    public static void cookieRejected(long now) {
        REJECTED.incrementAndGet();
        long last = REJECTED_LOGGED_AT.get();
        if (now - last >= 1000 && REJECTED_LOGGED_AT.compareAndSet(last, now)) {
            long n = REJECTED.getAndSet(0);
            if (n > 0) {
                LOG.info(() -> Json.createObjectBuilder().add("audit", "cookie_rejected").add("time", now).add("count", n)
                        .add("instance", AuditEvent.THIS_INSTANCE).build().toString());
            }
        }
    }

    /** Writes the event's line. */
    public static void write(AuditEvent event) {
        if (event != null) {
            LOG.info(event::toLogLine);
        }
    }
}
