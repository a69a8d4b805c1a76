package org.redsession.config;

import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Reads and validates every settings bean when the application starts, so that an invalid value stops the
 * deployment with a message naming the property instead of failing the first request.
 */
@ApplicationScoped
public class StartupCheck {
    private static final Logger LOG = Logger.getLogger(StartupCheck.class.getName());

    @Inject
    RedisSettings redis;
    @Inject
    SessionSettings session;
    @Inject
    AccountSettings accounts;
    @Inject
    SecuritySettings security;
    @Inject
    NearCacheSettings nearCache;

    void onStart(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        // Calling a method forces the lazy @ApplicationScoped beans to be created and their @PostConstruct to run.
        LOG.info(() -> "Configuration: redis " + redis.mode().name().toLowerCase() + " " + redis.address()
                + ", idle timeout " + session.idleTimeout() + ", absolute timeout " + session.absoluteTimeout()
                + ", cookie " + session.cookieName() + ", bootstrap admin '" + accounts.bootstrapAdminUsername() + "'"
                + ", sign-in throttle " + security.maxFailuresPerAccount() + " per account / " + security.maxFailuresPerClient()
                + " per client in " + security.throttleWindow() + ", near cache " + (nearCache.enabled() ? "on" : "off"));
    }
}
