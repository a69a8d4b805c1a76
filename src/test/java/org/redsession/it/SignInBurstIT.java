package org.redsession.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.json.Json;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.TestClient;

/**
 * The password-hashing bulkhead on a real instance with the default hashing cost (210,000 PBKDF2 iterations), two
 * HTTP threads, one hash at a time and a one-second wait limit: a burst of sign-ins holds no HTTP thread (a session
 * request is answered while sign-ins still wait), and sign-ins that would wait too long get 503 {@code server_busy}
 * with {@code Retry-After} instead of queueing; nothing else goes wrong.
 */
class SignInBurstIT {
    static final String PASSWORD = "Burst-River-Stone-42";
    static final int BURST = 30;
    static PayaraMicro app;

    @BeforeAll
    static void start() {
        app = PayaraMicro.builder().name("burst").env("HTTP_THREADS", "2")
                .env("SECURITY_PASSWORD_HASH_CONCURRENCY", "1").env("SECURITY_PASSWORD_HASH_MAX_WAIT", "PT1S")
                .env("SESSION_MAX_PER_USER", "100").start();
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.stop();
        }
    }

    private static String loginBody(String user) {
        return Json.createObjectBuilder().add("username", user).add("password", PASSWORD).build().toString();
    }

    @Test
    void aBurstOfSignIns_holdsNoHttpThread_andWhatWouldWaitTooLongIsRefusedWith503ServerBusy() throws Exception {
        TestClient admin = new TestClient(app.base());
        It.loginAdmin(admin);
        String name = "b" + UUID.randomUUID().toString().substring(0, 8);
        assertEquals(201, admin.postJson("api/admin/users", Json.createObjectBuilder().add("username", name)
                .add("password", PASSWORD).build().toString()).status());
        TestClient reader = new TestClient(app.base());
        assertEquals(200, reader.postJson("api/auth/login", loginBody(name)).status());

        ExecutorService pool = Executors.newFixedThreadPool(BURST);
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger answered = new AtomicInteger();
        List<CompletableFuture<TestClient.Res>> signIns = new ArrayList<>();
        try {
            for (int i = 0; i < BURST; i++) {
                TestClient t = new TestClient(app.base());
                signIns.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    TestClient.Res res = t.postJson("api/auth/login", loginBody(name));
                    answered.incrementAndGet();
                    return res;
                }, pool));
            }
            gate.countDown();
            // Wait until the burst has reached the server (the first answers come back), then use the session: with
            // two HTTP threads, this is answered only if the waiting sign-ins do not hold them.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (answered.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            TestClient.Res me = reader.get("api/me");
            int answeredWhenMeWasServed = answered.get();
            assertEquals(200, me.status(), me::toString);
            assertTrue(answeredWhenMeWasServed < BURST, "GET /api/me was answered only after all " + BURST
                    + " sign-ins: they held the HTTP threads");

            int ok = 0;
            int busy = 0;
            for (CompletableFuture<TestClient.Res> f : signIns) {
                TestClient.Res res = f.get(120, TimeUnit.SECONDS);
                if (res.status() == 200) {
                    ok++;
                } else {
                    It.assertError(res, 503, "server_busy");
                    long retryAfter = Long.parseLong(res.header("Retry-After").orElseThrow());
                    assertTrue(retryAfter >= 1 && retryAfter <= 30, res::toString);
                    busy++;
                }
            }
            assertTrue(ok >= 1, "no sign-in succeeded");
            assertTrue(busy >= 1, "no sign-in was refused although " + BURST + " hashes of ~130 ms do not fit in 1 s");
            assertEquals(BURST, ok + busy);
        } finally {
            pool.shutdownNow();
        }
        String metrics = new TestClient(app.base()).get("metrics?scope=application").body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("password_hash_refused_total") && !l.endsWith(" 0.0")),
                "password_hash_refused_total counts the refusals");
    }
}
