package org.redsession.metrics;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Histogram;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

/**
 * The session and sign-in metrics of this instance (MicroProfile Metrics, application scope, Prometheus text at
 * {@code /metrics}). Counters count what this instance did; the active-session gauge is read from Redis, so every
 * instance reports the same cluster-wide number. Leaf: depends on MicroProfile Metrics only.
 */
@ApplicationScoped
public class SessionMetrics {

    @Inject
    MetricRegistry registry;

    private Counter created;
    private Counter rotated;
    private Counter invalidated;
    private Counter revoked;
    private Counter expired;
    private Counter rejectedCookies;
    private Counter quarantined;
    private Counter sessionsQuarantined;
    private Counter loginSucceeded;
    private Counter loginFailed;
    private Counter loginThrottled;
    private Counter creationRefused;
    private Counter passwordHashRefused;
    private Timer load;
    private Timer commit;
    private Histogram commandsPerRequest;
    private final ConcurrentMap<Integer, Counter> responses = new ConcurrentHashMap<>();

    /**
     * This instance's running totals that the admin page's charts are computed from (differences between two of
     * them give the rates and mean latencies of the time between).
     *
     * @param signIns successful sign-ins
     * @param signInFailures sign-ins refused for wrong credentials or throttled
     * @param loads session loads from Redis, and {@code loadTime} their summed duration
     * @param commits session commits to Redis, and {@code commitTime} their summed duration
     */
    public record Totals(long signIns, long signInFailures, long loads, Duration loadTime, long commits,
            Duration commitTime) {
    }

    @PostConstruct
    void register() {
        created = counter("sessions_created", "Sessions stored for the first time");
        rotated = counter("sessions_rotated", "Session id changes (sign-in, password change, changeSessionId)");
        invalidated = counter("sessions_invalidated", "Sessions ended by their own request (sign-out, invalidate())");
        revoked = counter("sessions_revoked", "Sessions ended by another request: revoked, evicted by the per-user limit, "
                + "password change, user deleted");
        expired = counter("sessions_expired", "Sessions ended by idle or absolute timeout, announced by this instance's "
                + "expiry sweep (each expiry is announced by one instance: sum over instances)");
        rejectedCookies = counter("session_cookies_rejected", "Session cookies that were malformed, oversized or wrongly "
                + "signed (ignored without a Redis call)");
        quarantined = counter("session_attributes_quarantined", "Stored attributes left out of a session because they "
                + "could not be read");
        sessionsQuarantined = counter("sessions_quarantined", "Stored sessions ended because their metadata (creation "
                + "time, deadline) was missing or impossible: failed closed, reason invalid");
        loginSucceeded = counter("logins_succeeded", "Successful sign-ins");
        loginFailed = counter("logins_failed", "Sign-ins refused for wrong credentials");
        loginThrottled = counter("logins_throttled", "Sign-ins refused with 429 because of too many failures");
        creationRefused = counter("sessions_creation_refused", "New anonymous sessions refused with 429 because their "
                + "client created too many recently (security.session-creation.*)");
        passwordHashRefused = counter("password_hash_refused", "Sign-ins and other password checks refused with 503 "
                + "server_busy because password hashing was saturated (security.password-hash.*)");
        load = registry.timer(Metadata.builder().withName("session_redis_load")
                .withDescription("Time to load a session from Redis (one round trip)").build());
        commit = registry.timer(Metadata.builder().withName("session_redis_commit")
                .withDescription("Time to commit a session's changes to Redis (one round trip)").build());
        commandsPerRequest = registry.histogram(Metadata.builder().withName("session_redis_commands_per_request")
                .withDescription("Redis round trips spent on the session per request that used it").build());
    }

    private Counter counter(String name, String description) {
        return registry.counter(Metadata.builder().withName(name).withDescription(description).build());
    }

    public void created() {
        created.inc();
    }

    public void rotated() {
        rotated.inc();
    }

    /** A session ended by its own request: sign-out or {@code invalidate()}. */
    public void invalidated() {
        invalidated.inc();
    }

    /** Sessions ended by someone else: revoked, evicted by the per-user limit, password change, user deleted. */
    public void revoked(long n) {
        if (n > 0) {
            revoked.inc(n);
        }
    }

    public void expired(long n) {
        if (n > 0) {
            expired.inc(n);
        }
    }

    public void cookieRejected() {
        rejectedCookies.inc();
    }

    public void attributeQuarantined() {
        quarantined.inc();
    }

    public void sessionQuarantined() {
        sessionsQuarantined.inc();
    }

    public void loginSucceeded() {
        loginSucceeded.inc();
    }

    public void loginFailed() {
        loginFailed.inc();
    }

    public void loginThrottled() {
        loginThrottled.inc();
    }

    public void creationRefused() {
        creationRefused.inc();
    }

    public void passwordHashRefused() {
        passwordHashRefused.inc();
    }

    public void loaded(long nanos) {
        load.update(Duration.ofNanos(nanos));
    }

    public void committed(long nanos) {
        commit.update(Duration.ofNanos(nanos));
    }

    public void requestDone(int roundTrips) {
        commandsPerRequest.update(roundTrips);
    }

    /** Counts a response of this instance by its HTTP status ({@code http_responses_total{status="503"}}). */
    public void responded(int status) {
        responses.computeIfAbsent(status, s -> registry.counter(Metadata.builder().withName("http_responses")
                .withDescription("Responses sent by this instance, by HTTP status").build(),
                new Tag("status", Integer.toString(s)))).inc();
    }

    public Totals totals() {
        return new Totals(loginSucceeded.getCount(), loginFailed.getCount() + loginThrottled.getCount(),
                load.getCount(), load.getElapsedTime(), commit.getCount(), commit.getElapsedTime());
    }
}
