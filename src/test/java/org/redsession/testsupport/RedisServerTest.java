package org.redsession.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

/** Proves that {@link RedisServer} and {@link Resp} drive a real redis-server as the integration tests expect. */
class RedisServerTest {

    @Test
    void startsAnswersCountsAndStops() {
        RedisServer redis = RedisServer.start();
        try {
            assertTrue(redis.isRunning());
            assertEquals("redis://127.0.0.1:" + redis.port(), redis.url());
            assertEquals("OK", redis.call("SET", "rs:test:a", "1", "PX", "60000"));
            assertEquals("1", redis.call("GET", "rs:test:a"));
            assertNull(redis.call("GET", "rs:test:missing"));
            assertEquals(1L, redis.call("HSET", "rs:test:h", "f", "v"));
            assertEquals(List.of("f", "v"), redis.call("HGETALL", "rs:test:h"));
            RespError wrongType = assertThrows(RespError.class, () -> redis.call("GET", "rs:test:h"));
            assertEquals("WRONGTYPE", wrongType.kind());

            long ttl = redis.ttl("rs:test:a");
            assertTrue(ttl > 55_000 && ttl <= 60_000, "PTTL " + ttl);
            assertEquals(-1L, redis.ttl("rs:test:h"));
            assertEquals(-2L, redis.ttl("rs:test:missing"));
            assertEquals(List.of("rs:test:a"), redis.scanKeys("rs:test:a*"));

            assertEquals(1L, redis.commandCalls().get("set"));
            assertEquals(1L, redis.commandCalls().get("hgetall"));
            assertTrue(redis.commandCalls().get("info") >= 1L);
        } finally {
            redis.stop();
        }
        assertFalse(redis.isRunning());
        assertThrows(UncheckedIOException.class, () -> new Resp(redis.port(), Duration.ofSeconds(1)).close());
    }

    @Test
    void restartsOnTheSamePortAfterKill() {
        try (RedisServer redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always")) {
            int port = redis.port();
            long firstPid = redis.pid();
            assertEquals("OK", redis.call("SET", "rs:test:kept", "yes"));

            redis.kill();
            assertFalse(redis.isRunning());

            redis.restart();
            assertTrue(redis.isRunning());
            assertEquals(port, redis.port());
            assertTrue(redis.pid() != firstPid);
            assertEquals("PONG", redis.call("PING"));
            assertEquals("yes", redis.call("GET", "rs:test:kept"), "AOF in the same dir survives the restart");
        }
    }

    @Test
    void pauseMakesCallsTimeOutUntilResume() {
        try (RedisServer redis = RedisServer.start()) {
            redis.pause();
            try (Resp slow = redis.client(Duration.ofMillis(300))) {
                assertThrows(UncheckedIOException.class, () -> slow.call("PING"));
                assertTrue(slow.isClosed(), "a timed-out connection is closed");
            } finally {
                redis.resume();
            }
            try (Resp fresh = redis.client(Duration.ofMillis(2_000))) {
                assertEquals("PONG", fresh.call("PING"));
            }
        }
    }

    @Test
    void pollReportsTimeoutWithLastFailure() {
        AssertionError error = assertThrows(AssertionError.class,
                () -> Poll.until(Duration.ofMillis(300), "never", (BooleanSupplier) () -> {
                    throw new IllegalStateException("boom");
                }));
        assertTrue(error.getMessage().startsWith("timed out after "), error.getMessage());
        assertTrue(error.getMessage().endsWith(": never"), error.getMessage());
        assertTrue(error.getCause() instanceof IllegalStateException);
        int[] attempts = {0};
        assertEquals("third", Poll.until(Duration.ofSeconds(5), "third try",
                () -> ++attempts[0] >= 3 ? Optional.of("third") : Optional.empty()));
    }
}
