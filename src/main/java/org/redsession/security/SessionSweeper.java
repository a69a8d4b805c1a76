package org.redsession.security;

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
import org.redsession.account.AccountService;
import org.redsession.config.SessionSettings;
import org.redsession.metrics.SessionMetrics;
import org.redsession.session.SessionManager;

/**
 * Makes session expiry observable without Redis keyspace notifications: once per {@code session.sweep-interval} one
 * instance (holding a lease in Redis) removes the expired entries of every user's session index and counts them in
 * {@code sessions_expired_total}. Also registers the {@code sessions_active} gauge, read from Redis (cached for five
 * seconds), so every instance reports the same cluster-wide number.
 */
@ApplicationScoped
public class SessionSweeper {
    private static final Logger LOG = Logger.getLogger(SessionSweeper.class.getName());

    @Resource
    ManagedScheduledExecutorService scheduler;
    @Inject
    SessionManager sessions;
    @Inject
    AccountService accounts;
    @Inject
    SessionMetrics metrics;
    @Inject
    MetricRegistry registry;
    @Inject
    SessionSettings settings;

    private ScheduledFuture<?> task;
    private final AtomicLong active = new AtomicLong();
    private volatile long activeReadAt;

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
                active.set(sessions.countSessions(accounts.names()));
                activeReadAt = System.currentTimeMillis();
            } catch (RuntimeException e) {
                LOG.fine(() -> "sessions_active not refreshed: " + e.getMessage());
            }
        }
        return active.get();
    }

    void sweep() {
        try {
            long expired = sessions.sweepExpired(accounts::names, settings.sweepInterval().toMillis());
            if (expired > 0) {
                metrics.expired(expired);
                LOG.fine(() -> "Expiry sweep: " + expired + " session(s) expired");
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
