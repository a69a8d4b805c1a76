package org.redsession.metrics;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.json.bind.annotation.JsonbNillable;

import org.eclipse.microprofile.metrics.Gauge;
import org.eclipse.microprofile.metrics.MetricID;
import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * A short in-memory history of this instance's statistics for the admin page's charts, so that no monitoring service
 * is needed to see a trend: every {@value #INTERVAL_SECONDS} seconds, aligned to the wall clock so that the samples of
 * all instances fall on the same instants, it records the signed-in sessions (the cluster-wide {@code sessions_active}
 * gauge), this instance's sign-ins and refused sign-ins in the interval, and the mean time of its session loads and
 * commits in the interval. The last {@value #KEPT} samples (15 minutes) are kept; nothing is stored in Redis. The page
 * merges the histories of the instances it is served by (sums the sign-ins, takes the highest latency).
 */
@ApplicationScoped
public class StatsHistory {
    private static final Logger LOG = Logger.getLogger(StatsHistory.class.getName());

    /** Seconds between two samples. */
    public static final int INTERVAL_SECONDS = 10;
    /** Samples kept. */
    public static final int KEPT = 90;

    /**
     * One interval.
     *
     * @param at end of the interval (epoch milliseconds, a multiple of the interval)
     * @param activeSessions signed-in sessions of all instances at that time, or null if Redis could not be read
     * @param signIns successful sign-ins on this instance during the interval
     * @param signInFailures sign-ins refused for wrong credentials or throttled on this instance during the interval
     * @param loadMillis mean time of this instance's session loads from Redis during the interval, null if none
     * @param commitMillis mean time of this instance's session commits to Redis during the interval, null if none
     */
    @JsonbNillable
    public record Sample(long at, Long activeSessions, long signIns, long signInFailures, Double loadMillis,
            Double commitMillis) {
    }

    /**
     * What {@code GET /api/admin/stats/history} answers.
     *
     * @param instance the instance that took these samples (process id and host)
     * @param intervalSeconds seconds between samples
     * @param samples oldest first
     */
    public record History(String instance, int intervalSeconds, List<Sample> samples) {
    }

    @Resource
    ManagedScheduledExecutorService scheduler;
    @Inject
    SessionMetrics metrics;
    @Inject
    MetricRegistry registry;

    private final String instance = ManagementFactory.getRuntimeMXBean().getName();
    private final Deque<Sample> samples = new ArrayDeque<>();
    private SessionMetrics.Totals last;
    private ScheduledFuture<?> task;

    void onStart(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        last = metrics.totals();
        long period = TimeUnit.SECONDS.toMillis(INTERVAL_SECONDS);
        long delay = period - System.currentTimeMillis() % period;
        task = scheduler.scheduleAtFixedRate(this::sample, delay, period, TimeUnit.MILLISECONDS);
    }

    /** The samples taken so far, oldest first. */
    public synchronized History history() {
        return new History(instance, INTERVAL_SECONDS, List.copyOf(samples));
    }

    void sample() {
        try {
            record();
        } catch (RuntimeException e) { // a scheduled task that throws is never run again
            LOG.log(Level.FINE, "Statistics sample skipped", e);
        }
    }

    private void record() {
        long period = TimeUnit.SECONDS.toMillis(INTERVAL_SECONDS);
        long at = Math.round((double) System.currentTimeMillis() / period) * period;
        Long active = activeSessions();
        SessionMetrics.Totals now = metrics.totals();
        synchronized (this) {
            Sample sample = new Sample(at, active, now.signIns() - last.signIns(),
                    now.signInFailures() - last.signInFailures(),
                    meanMillis(now.loadTime().minus(last.loadTime()), now.loads() - last.loads()),
                    meanMillis(now.commitTime().minus(last.commitTime()), now.commits() - last.commits()));
            last = now;
            if (!samples.isEmpty() && samples.peekLast().at() >= at) {
                return; // a late run after a pause: keep one sample per instant
            }
            samples.addLast(sample);
            while (samples.size() > KEPT) {
                samples.removeFirst();
            }
        }
    }

    private Long activeSessions() {
        Gauge<?> gauge = registry.getGauge(new MetricID("sessions_active"));
        try {
            Number value = gauge == null ? null : gauge.getValue();
            return value == null ? null : value.longValue();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Double meanMillis(Duration total, long count) {
        return count <= 0 ? null : total.toNanos() / 1e6 / count;
    }

    @PreDestroy
    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
