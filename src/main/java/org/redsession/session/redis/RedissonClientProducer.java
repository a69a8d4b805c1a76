package org.redsession.session.redis;

import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;

import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.BaseConfig;
import org.redisson.config.Config;
import org.redisson.config.ReadMode;
import org.redisson.config.SslVerificationMode;
import org.redisson.config.SubscriptionMode;
import org.redsession.config.RedisSettings;

/**
 * Produces the application's one {@link RedissonClient} from {@link RedisSettings} and shuts it down when the
 * application stops. Connections are opened lazily, so the application starts (and reports not ready) while
 * Redis is down and recovers by itself when it comes back.
 */
@ApplicationScoped
public class RedissonClientProducer {
    private static final Logger LOG = Logger.getLogger(RedissonClientProducer.class.getName());

    @Inject
    RedisSettings settings;

    @Inject
    TlsFailureWatch tlsFailures;

    @Produces
    @ApplicationScoped
    RedissonClient redisson() {
        Config config = new Config();
        config.setCodec(StringCodec.INSTANCE);
        config.setUseScriptCache(true);
        config.setLazyInitialization(true);
        // Netty event loops: one per core by default, not Redisson's 32, whose hand-offs (a selector wake-up per
        // command) cost more than they bring on small machines. The CPU-bound work that once starved few loops
        // (password hashing in a burst of sign-ins) is bounded by PasswordHashing.
        config.setNettyThreads(settings.nettyThreads());
        if (settings.tls()) {
            // rediss://: the JVM's trust store unless redis.tls.trust-store names one; a client certificate if given.
            settings.trustManagers().ifPresent(config::setSslTrustManagerFactory);
            settings.keyManagers().ifPresent(config::setSslKeyManagerFactory);
            config.setSslVerificationMode(settings.verifyHostname() ? SslVerificationMode.STRICT : SslVerificationMode.CA_ONLY);
            config.setNettyHook(tlsFailures);
        }
        switch (settings.mode()) {
            case SINGLE -> {
                var single = config.useSingleServer().setAddress(settings.address()).setDatabase(settings.database())
                        .setConnectionPoolSize(settings.connectionPoolSize())
                        .setConnectionMinimumIdleSize(Math.min(4, settings.connectionPoolSize()));
                common(single);
            }
            case SENTINEL -> {
                var sentinel = config.useSentinelServers().setMasterName(settings.sentinelMaster())
                        .setDatabase(settings.database()).setCheckSentinelsList(false)
                        // Reads go to the primary too: replication is asynchronous, and a replica may still show
                        // a session that was just signed out, or miss one that was just created.
                        .setReadMode(ReadMode.MASTER).setSubscriptionMode(SubscriptionMode.MASTER)
                        .setMasterConnectionPoolSize(settings.connectionPoolSize())
                        .setMasterConnectionMinimumIdleSize(Math.min(4, settings.connectionPoolSize()));
                settings.nodeAddresses().forEach(sentinel::addSentinelAddress);
                common(sentinel);
            }
            case CLUSTER -> {
                var cluster = config.useClusterServers()
                        .setReadMode(ReadMode.MASTER).setSubscriptionMode(SubscriptionMode.MASTER)
                        .setMasterConnectionPoolSize(settings.connectionPoolSize())
                        .setMasterConnectionMinimumIdleSize(Math.min(4, settings.connectionPoolSize()));
                settings.nodeAddresses().forEach(cluster::addNodeAddress);
                common(cluster);
            }
            default -> throw new IllegalStateException("unknown mode " + settings.mode());
        }
        LOG.info(() -> "Connecting to Redis (" + settings.mode().name().toLowerCase() + ") at " + settings.address()
                + (settings.tls() ? " over TLS" + (settings.verifyHostname() ? "" : " (host name not verified)")
                        + (settings.keyManagers().isPresent() ? " with a client certificate" : "") : ""));
        return Redisson.create(config);
    }

    private void common(BaseConfig<?> c) {
        c.setTimeout((int) settings.timeout().toMillis())
                .setConnectTimeout((int) settings.connectTimeout().toMillis())
                .setRetryAttempts(settings.retryAttempts())
                .setRetryInterval(200)
                .setClientName("redsession");
        settings.username().ifPresent(c::setUsername);
        settings.password().ifPresent(c::setPassword);
    }

    void close(@Disposes RedissonClient client) {
        client.shutdown();
    }
}
