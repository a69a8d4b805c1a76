package org.redsession.config;

import java.time.Duration;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.Config;

/**
 * The near cache of sessions (see the README, "Near cache"): switch, bounds, and the timing of its coherence fence;
 * read once and validated at start-up. Every instance of one deployment must use the same {@code enabled} and
 * {@code fence}: an instance writes with the fence its readers rely on.
 */
@ApplicationScoped
public class NearCacheSettings {

    @Inject
    Config config;

    private boolean enabled;
    private int maxEntries;
    private long maxBytes;
    private Duration heartbeat;
    private Duration fence;

    @PostConstruct
    void read() {
        Settings s = new Settings(config);
        enabled = s.bool("session.near-cache.enabled", true);
        maxEntries = s.integer("session.near-cache.max-entries", 100_000, 1, 10_000_000);
        maxBytes = s.integer("session.near-cache.max-megabytes", 32, 1, 4096) * 1024L * 1024L;
        heartbeat = s.duration("session.near-cache.heartbeat", "PT0.001S", Duration.ofNanos(200_000), Duration.ofMillis(100));
        fence = s.duration("session.near-cache.fence", "PT0.005S", Duration.ofMillis(1), Duration.ofSeconds(1));
        if (fence.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new InvalidConfigurationException("session.near-cache.fence", fence + " must be at least twice "
                    + "session.near-cache.heartbeat (" + heartbeat + "), or no cached read could ever be served");
        }
    }

    /** Whether the near cache is on (it also needs {@code redis.mode=single}). */
    public boolean enabled() {
        return enabled;
    }

    /** At most this many sessions are cached per instance. */
    public int maxEntries() {
        return maxEntries;
    }

    /** At most about this many bytes of session data are cached per instance. */
    public long maxBytes() {
        return maxBytes;
    }

    /** How often the tracking connection proves, with a PING, that it has received every invalidation so far. */
    public Duration heartbeat() {
        return heartbeat;
    }

    /**
     * How long an answer to a request that wrote to Redis is held back, and how recent the last PING proof must be
     * for a cached read: together they make a write visible to every instance before its answer leaves.
     */
    public Duration fence() {
        return fence;
    }
}
