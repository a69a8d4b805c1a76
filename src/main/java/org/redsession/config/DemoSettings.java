package org.redsession.config;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.Config;

/** The demo part of the application (its session listener); read once at start-up. */
@ApplicationScoped
public class DemoSettings {

    @Inject
    Config config;

    private boolean logSessionEvents;

    @PostConstruct
    void read() {
        Settings s = new Settings(config);
        logSessionEvents = s.bool("app.demo.log-session-events", false);
    }

    /**
     * Whether the demo listener logs one line per ended session (with a short hash of its id): lets tests check
     * across instances that each expiry is announced once. Off by default: at scale it is a line per expiry.
     */
    public boolean logSessionEvents() {
        return logSessionEvents;
    }
}
