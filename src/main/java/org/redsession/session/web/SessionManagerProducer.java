package org.redsession.session.web;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.redsession.config.InvalidConfigurationException;
import org.redsession.config.SessionSettings;
import org.redsession.session.AttributeCodec;
import org.redsession.session.SessionEvents;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionPolicy;
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
                settings.touchInterval(), settings.maxAttributeBytes(), settings.maxSessionBytes());
        return new SessionManager(store, new SessionIds(settings.secrets()), new AttributeCodec(allowed), policy,
                events, Clock.systemUTC(), settings.cookieName());
    }

    @Produces
    @ApplicationScoped
    SessionEvents noEvents() {
        return new SessionEvents() {
        };
    }
}
