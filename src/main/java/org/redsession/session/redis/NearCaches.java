package org.redsession.session.redis;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.util.function.ToLongFunction;
import java.util.logging.Logger;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.redsession.config.NearCacheSettings;
import org.redsession.config.RedisSettings;

/** Builds the application's {@link NearCache} from its settings, or none, and registers its metrics. */
final class NearCaches {
    private static final Logger LOG = Logger.getLogger(NearCaches.class.getName());

    private NearCaches() {
    }

    /** The started near cache, or null when it is off (by setting, or because Redis is not a single server). */
    static NearCache start(RedisSettings redis, NearCacheSettings settings, RedisKeys keys, MetricRegistry metrics) {
        if (!settings.enabled()) {
            LOG.info("Near cache: off (session.near-cache.enabled=false); every session read is a Redis round trip");
            return null;
        }
        if (redis.mode() != RedisSettings.Mode.SINGLE) {
            LOG.info(() -> "Near cache: off with redis.mode=" + redis.mode().name().toLowerCase()
                    + " (it needs one tracking connection that follows every primary and failover; see the README, "
                    + "\"Near cache\"); every session read is a Redis round trip");
            return null;
        }
        NearCache cache = new NearCache(new NearCache.Target(URI.create(redis.address()), redis.database(),
                redis.username().orElse(null), redis.password().orElse(null), tls(redis), redis.verifyHostname(),
                redis.timeout()), new NearCache.Limits(settings.maxEntries(), settings.maxBytes(), settings.heartbeat(),
                settings.fence()), keys);
        register(metrics, "session_near_cache_hits", "Session loads served from this instance's near cache", cache,
                c -> c.hits.sum());
        register(metrics, "session_near_cache_misses", "Session loads not in the near cache (loaded through its "
                + "tracking connection, filling it)", cache, c -> c.misses.sum());
        register(metrics, "session_near_cache_bypasses", "Session loads that could not use the near cache (not "
                + "connected, or its last heartbeat proof too old) and went to Redis the usual way", cache,
                c -> c.bypasses.sum());
        register(metrics, "session_near_cache_invalidations", "Keys Redis reported changed (each drops the cached "
                + "sessions that depend on it)", cache, c -> c.invalidations.sum());
        register(metrics, "session_near_cache_flushes", "Times the near cache was emptied (tracking connection lost "
                + "or new, FLUSHALL)", cache, c -> c.flushes.sum());
        register(metrics, "session_near_cache_evictions", "Cached sessions dropped to stay within the bounds", cache,
                c -> c.evictions.sum());
        register(metrics, "session_near_cache_entries", "Sessions in the near cache now", cache, c -> c.size());
        register(metrics, "session_near_cache_bytes", "Estimated bytes of the sessions in the near cache now", cache,
                NearCache::bytes);
        register(metrics, "session_near_cache_up", "1 while the tracking connection is up (cached reads possible)",
                cache, c -> c.isUp() ? 1 : 0);
        cache.start();
        return cache;
    }

    private static void register(MetricRegistry metrics, String name, String description, NearCache cache,
            ToLongFunction<NearCache> value) {
        if (metrics != null) {
            metrics.gauge(Metadata.builder().withName(name).withDescription(description).build(), cache,
                    c -> value.applyAsLong(c));
        }
    }

    private static SSLContext tls(RedisSettings redis) {
        if (!redis.tls()) {
            return null;
        }
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            KeyManager[] km = redis.keyManagers().map(KeyManagerFactory::getKeyManagers).orElse(null);
            TrustManager[] tm = redis.trustManagers().map(TrustManagerFactory::getTrustManagers).orElse(null);
            context.init(km, tm, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for the near cache", e);
        }
    }
}
