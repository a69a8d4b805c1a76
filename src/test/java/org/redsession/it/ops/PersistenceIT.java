package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.TestClient;

/**
 * Redis with the production persistence settings of redis/redis.conf (AOF, {@code appendfsync everysec}) is
 * SIGKILLed and started again from its AOF on the same port: the sessions it held still work.
 */
class PersistenceIT {

    static RedisServer redis;
    static PayaraMicro app;

    @BeforeAll
    static void start() {
        redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "everysec",
                "--appendfilename", "appendonly.aof", "--appenddirname", "appendonlydir",
                "--aof-use-rdb-preamble", "yes", "--maxmemory-policy", "noeviction");
        app = PayaraMicro.builder().name("persistence").env("REDIS_URL", redis.url()).env("REDIS_MODE", "single")
                .start();
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.stop();
        }
        if (redis != null) {
            redis.stop();
        }
    }

    @Test
    void redisKilledAndRestartedFromItsAof_theSameCookieStillWorks_andTheCounterContinues() {
        TestClient user = new TestClient(app.base());
        Ops.loginAdmin(user);
        for (int i = 1; i <= 3; i++) {
            assertEquals(i, Ops.increment(user));
        }
        String cookie = user.cookies().get(Ops.COOKIE);
        long lastWrite = System.nanoTime();

        // everysec: the AOF is fsynced about once a second. Wait until a full period has passed since the last
        // write and no fsync is pending, so the writes are on disk (a SIGKILL of the process alone would not lose
        // them anyway: Redis write()s the AOF buffer before it answers; only a machine crash loses the last ~1 s).
        Poll.until(Duration.ofSeconds(10), "AOF fsynced: 1.2 s since the last write and aof_pending_bio_fsync:0",
                () -> {
                    Map<String, String> persistence = Ops.info(redis, "persistence");
                    return System.nanoTime() - lastWrite >= Duration.ofMillis(1_200).toNanos()
                            && "0".equals(persistence.get("aof_pending_bio_fsync"))
                            && "ok".equals(persistence.get("aof_last_write_status"));
                });
        assertTrue(aofBytes(redis.dir().resolve("appendonlydir")) > 0, "the AOF holds data");

        redis.kill();
        TestClient.Res down = user.get("api/me");
        Ops.assertError(down, 503, "session_store_unavailable");

        redis.restart();
        assertEquals("0", Ops.info(redis, "persistence").get("loading"), "the AOF is loaded");
        assertTrue(!redis.scanKeys("rs:s:*").isEmpty(), "the session keys came back from the AOF");

        // The application reconnects by itself; the same cookie is accepted again.
        TestClient.Res me = Poll.until(Duration.ofSeconds(15), "GET /api/me answers 200 after the restart", () -> {
            TestClient.Res res = user.get("api/me");
            return res.status() == 200 ? java.util.Optional.of(res) : java.util.Optional.empty();
        });
        assertEquals(Ops.ADMIN, me.json().getString("username"));
        assertEquals(cookie, user.cookies().get(Ops.COOKIE), "the cookie did not change");
        assertEquals(4, Ops.increment(user), "the counter continues where it was");
    }

    private static long aofBytes(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
