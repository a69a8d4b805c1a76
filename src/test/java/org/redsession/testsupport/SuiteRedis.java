package org.redsession.testsupport;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * The integration suite's own redis-server, started once per test JVM before any test (and before Arquillian
 * launches Payara Micro) on the port Maven reserved as {@code it.redis.port}, and stopped at the end. Every Payara
 * Micro of the suite reaches it through {@code REDIS_URL}. AOF with {@code appendfsync always} lets a test stop and
 * restart it without losing sessions. Does nothing when {@code it.redis.port} is not set (unit-test runs).
 */
public class SuiteRedis implements LauncherSessionListener {
    private static volatile RedisServer server;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        String port = System.getProperty("it.redis.port");
        if (port != null && !port.isBlank() && server == null) {
            server = RedisServer.start(Integer.parseInt(port.trim()), "--appendonly", "yes", "--appendfsync", "always");
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    /** The suite's Redis; fails when the suite was run without {@code it.redis.port}. */
    public static RedisServer get() {
        if (server == null) {
            throw new IllegalStateException("No suite Redis: run the integration tests through Maven (failsafe sets it.redis.port)");
        }
        return server;
    }
}
