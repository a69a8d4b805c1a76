package org.redsession.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.TestClient;

/**
 * Faults with nothing lost: Redis killed under steady load on two instances, Redis stalled (SIGSTOP), and a sign-out
 * racing a slow request of the same session on the other instance. Uses its own Redis (AOF, everysec) so it can be
 * killed and restarted.
 */
class FaultsIT {
    static RedisServer redis;
    static PayaraMicro a;
    static PayaraMicro b;

    @BeforeAll
    static void start() {
        redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "everysec");
        a = PayaraMicro.builder().name("faults-a").env("REDIS_URL", redis.url()).start();
        b = PayaraMicro.builder().name("faults-b").env("REDIS_URL", redis.url()).start();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, redis}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    @Test
    void redisKilledUnderLoad_503sWithinTheTimeout_noHang_no500_andEverySessionComesBack() throws Exception {
        List<TestClient> users = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            TestClient c = new TestClient((i % 2 == 0 ? a : b).base());
            It.loginAdmin(c);
            c.post("api/counter");
            users.add(c);
        }
        // AOF everysec: what was written more than a second before the kill is on disk.
        Poll.until(Duration.ofSeconds(5), "AOF fsynced",
                () -> String.valueOf(redis.call("INFO", "persistence")).contains("aof_pending_bio_fsync:0"));
        long settle = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        Poll.until(Duration.ofSeconds(5), "1.5 s after the last write", () -> System.nanoTime() > settle);

        Map<Integer, AtomicLong> statuses = new TreeMap<>();
        AtomicLong slowest = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> load = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        Map<Integer, AtomicLong> counts = new ConcurrentHashMap<>();
        for (int t = 0; t < 6; t++) {
            TestClient c = users.get(t);
            TestClient other = c.withBase((t % 2 == 0 ? b : a).base());
            load.add(pool.submit(() -> {
                int n = 0;
                while (System.nanoTime() < end) {
                    long s = System.nanoTime();
                    TestClient.Res res = (n++ % 2 == 0 ? c : other).get("api/me");
                    slowest.accumulateAndGet((System.nanoTime() - s) / 1_000_000, Math::max);
                    counts.computeIfAbsent(res.status(), k -> new AtomicLong()).incrementAndGet();
                    if (res.status() == 503) {
                        It.assertError(res, 503, "session_store_unavailable");
                    }
                    try {
                        Thread.sleep(100); // about 50 requests per second over 6 users
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        Thread.sleep(1500);
        redis.kill();
        Thread.sleep(2000);
        redis.restart();
        for (Future<?> f : load) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        statuses.putAll(counts);
        System.out.println("[measure] Redis killed under load: statuses " + statuses + ", slowest request " + slowest + " ms");
        assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 503), () -> "only 200 and 503: " + statuses);
        assertTrue(statuses.containsKey(503), () -> "some requests saw the outage: " + statuses);
        assertTrue(slowest.get() < 5_000, () -> "a request hung for " + slowest + " ms");
        for (TestClient c : users) {
            Poll.until(Duration.ofSeconds(20), "the session works again", () -> c.get("api/me").status() == 200);
            assertEquals(2, c.post("api/counter").json().getInt("counter"), "the session's data survived the kill");
        }
    }

    @Test
    void redisStalled_503WithinTheTimeout_thenFullRecovery() {
        TestClient c = new TestClient(a.base());
        It.loginAdmin(c);
        redis.pause();
        try {
            // The near cache may answer a read from its copy for up to its fence (5 ms) after the last heartbeat
            // Redis answered: correct, since nothing can be written meanwhile. After that, reads go to Redis and fail.
            long start = System.nanoTime();
            TestClient.Res res = c.get("api/me");
            while (res.status() == 200 && System.nanoTime() - start < 2_000_000_000L) {
                res = c.get("api/me");
            }
            long took = (System.nanoTime() - start) / 1_000_000;
            It.assertError(res, 503, "session_store_unavailable");
            System.out.println("[measure] stalled Redis answered 503 after " + took + " ms");
            assertTrue(took < 5_000, "503 after " + took + " ms");
        } finally {
            redis.resume();
        }
        Poll.until(Duration.ofSeconds(20), "recovered", () -> c.get("api/me").status() == 200);
        assertEquals(1, c.post("api/counter").json().getInt("counter"));
    }

    @Test
    void signOutRacingASlowRequestOnTheOtherInstance_theSessionStaysGone() throws Exception {
        TestClient admin = new TestClient(a.base());
        It.loginAdmin(admin);
        String user = "racer" + System.nanoTime() % 100_000;
        assertEquals(201, admin.postJson("api/admin/users", "{\"username\":\"" + user
                + "\",\"password\":\"Racing-Horse-Long-11\"}").status());
        TestClient c = new TestClient(a.base());
        String token = It.login(c, user, "Racing-Horse-Long-11").getString("csrfToken");
        String cookie = c.cookies().get(It.COOKIE);
        // A password change reads its body, so a slowly sent body keeps the request (which loaded the session when
        // its headers arrived) running while the user signs out on the other instance.
        byte[] body = ("{\"currentPassword\":\"Racing-Horse-Long-11\",\"newPassword\":\"Another-Horse-Long-12\"}")
                .getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", b.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/me/password HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + It.COOKIE + "=" + cookie
                    + "\r\nX-CSRF-Token: " + token + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 10);
            out.flush();
            Thread.sleep(1000);
            assertEquals(204, c.post("api/auth/logout").status());
            out.write(body, 10, body.length - 10);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = in.readLine();
            assertTrue(status.contains(" 401 "), () -> "the slow request could not write the session back: " + status);
        }
        TestClient stale = new TestClient(b.base());
        stale.setCookie(It.COOKIE, cookie);
        It.assertError(stale.get("api/me"), 401, "session_expired");
        long live = redis.scanKeys("rs:s:*").stream().filter(k -> !k.endsWith(":gone"))
                .filter(k -> user.equals(String.valueOf(redis.call("HGET", k, "#u")))).count();
        assertEquals(0, live, "no session of the user was written back");
    }
}
