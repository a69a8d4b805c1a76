package org.redsession.security;

import java.lang.management.ManagementFactory;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.redsession.config.SessionSettings;
import org.redsession.metrics.SessionMetrics;
import org.redsession.session.SessionManager;
import org.redsession.session.web.SessionListeners;

/**
 * Makes session expiry observable without Redis keyspace notifications: every {@code session.sweep-interval} each
 * instance runs the expiry sweep ({@link SessionManager#sweepExpired}), whose shards are leased so that every
 * session that ended by timeout is announced once across all instances: {@code HttpSessionListener.sessionDestroyed}
 * fires for it on the instance that found it, and {@code sessions_expired_total} counts it there. Also registers the
 * {@code sessions_active} gauge, read from Redis (cached for five seconds), so every instance reports the same
 * cluster-wide number; its cost does not grow with the number of users.
 */
@ApplicationScoped
public class SessionSweeper {
    private static final Logger LOG = Logger.getLogger(SessionSweeper.class.getName());

    @Resource
    ManagedScheduledExecutorService scheduler;
    @Inject
    SessionManager sessions;
    @Inject
    SessionMetrics metrics;
    @Inject
    MetricRegistry registry;
    @Inject
    SessionSettings settings;
    @Inject
    SessionListeners listeners;

    private ScheduledFuture<?> task;
    private final AtomicLong active = new AtomicLong();
    private volatile long activeReadAt;
    /** Names this instance in the sweep's leases and claims (host and process id; never a secret). */
    private final String owner = ManagementFactory.getRuntimeMXBean().getName();

    void onStart(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        registry.gauge(Metadata.builder().withName("sessions_active")
                .withDescription("Live signed-in sessions of all users, from Redis (cluster-wide)").build(), this,
                SessionSweeper::activeSessions);
        long every = settings.sweepInterval().toMillis();
        task = scheduler.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    long activeSessions() {
        if (System.currentTimeMillis() - activeReadAt > 5_000) {
            try {
                active.set(sessions.countSignedIn());
                activeReadAt = System.currentTimeMillis();
            } catch (RuntimeException e) {
                LOG.fine(() -> "sessions_active not refreshed: " + e.getMessage());
            }
        }
        return active.get();
    }

    void sweep() {
        try {
            long start = System.nanoTime();
            int expired = sessions.sweepExpired(owner, session -> {
                metrics.expired(1);
                listeners.expired(session);
            });
            if (expired > 0) {
                long ms = (System.nanoTime() - start) / 1_000_000;
                LOG.info(() -> "Expiry sweep: announced " + expired + " expired session(s) in " + ms + " ms");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "Expiry sweep skipped", e);
        }
    }

    @PreDestroy
    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
