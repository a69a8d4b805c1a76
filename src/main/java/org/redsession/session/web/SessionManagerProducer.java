package org.redsession.session.web;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.redsession.config.InvalidConfigurationException;
import org.redsession.config.SessionSettings;
import org.redsession.metrics.SessionMetrics;
import org.redsession.session.AttributeCodec;
import org.redsession.session.SessionEvents;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionPolicy;
import org.redsession.session.SessionState;
import org.redsession.session.SessionStore;

/** Assembles the application's {@link SessionManager} from configuration and the store. */
@ApplicationScoped
public class SessionManagerProducer {

    @Produces
    @Singleton
    SessionManager sessionManager(SessionStore store, SessionSettings settings, SessionEvents events) {
        Map<String, Class<?>> allowed = new HashMap<>();
        for (String name : settings.allowedTypes()) {
            try {
                allowed.put(name, Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
            } catch (ClassNotFoundException e) {
                throw new InvalidConfigurationException("session.allowed-types", "no class " + name);
            }
        }
        SessionPolicy policy = new SessionPolicy(settings.idleTimeout(), settings.absoluteTimeout(),
                settings.touchInterval(), settings.maxAttributeBytes(), settings.maxSessionBytes(),
                settings.anonymousIdleTimeout(), settings.maxAttributes());
        return new SessionManager(store, new SessionIds(settings.secrets()), new AttributeCodec(allowed), policy,
                events, Clock.systemUTC(), settings.cookieName());
    }

    /** Session events recorded as metrics. */
    @Produces
    @ApplicationScoped
    SessionEvents events(SessionMetrics metrics) {
        return new SessionEvents() {
            @Override
            public void created(SessionState session) {
                metrics.created();
            }

            @Override
            public void invalidated(SessionState session, String reason) {
                metrics.invalidated();
            }

            @Override
            public void idChanged(SessionState session, String oldId) {
                metrics.rotated();
            }

            @Override
            public void cookieRejected() {
                metrics.cookieRejected();
            }

            @Override
            public void attributeQuarantined() {
                metrics.attributeQuarantined();
            }

            @Override
            public void sessionQuarantined() {
                metrics.sessionQuarantined();
            }

            @Override
            public void creationRefused() {
                metrics.creationRefused();
            }

            @Override
            public void revoked(int count) {
                metrics.revoked(count);
            }

            @Override
            public void loaded(long nanos) {
                metrics.loaded(nanos);
            }

            @Override
            public void committed(long nanos) {
                metrics.committed(nanos);
            }

            @Override
            public void requestDone(int roundTrips) {
                metrics.requestDone(roundTrips);
            }
        };
    }
}
