package org.redsession.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.json.Json;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.SuiteRedis;
import org.redsession.testsupport.TestClient;

/**
 * Limits that need their own configuration, on two launched instances behind a (simulated) trusted proxy: the
 * per-user session limit under 50 simultaneous sign-ins, sign-in throttling shared by the instances, and revoking
 * all of 1,000 sessions of one user.
 */
class LimitsIT {
    static final String PASSWORD = "Quiet-River-Stone-77";
    static PayaraMicro c;
    static PayaraMicro d;

    @BeforeAll
    static void start() {
        // Both trust 127.0.0.1 as a proxy, so each test can be a different client through X-Forwarded-For.
        c = PayaraMicro.builder().name("limit-2").env("SESSION_MAX_PER_USER", "2").env("SECURITY_LOGIN_MAX_FAILURES", "3")
                .env("SECURITY_LOGIN_MAX_FAILURES_PER_CLIENT", "6").env("SECURITY_LOGIN_WINDOW", "PT2M")
                .env("SECURITY_TRUSTED_PROXIES", "127.0.0.1").env("SECURITY_PASSWORD_HASH_ITERATIONS", "10000").start();
        d = PayaraMicro.builder().name("limit-5000").env("SESSION_MAX_PER_USER", "5000").env("SECURITY_LOGIN_MAX_FAILURES", "3")
                .env("SECURITY_LOGIN_MAX_FAILURES_PER_CLIENT", "6").env("SECURITY_LOGIN_WINDOW", "PT2M")
                .env("SECURITY_TRUSTED_PROXIES", "127.0.0.1").env("SECURITY_PASSWORD_HASH_ITERATIONS", "10000").start();
    }

    @AfterAll
    static void stop() {
        for (PayaraMicro p : new PayaraMicro[] {c, d}) {
            if (p != null) {
                p.stop();
            }
        }
    }

    private static String newUser(PayaraMicro on) {
        TestClient admin = new TestClient(on.base());
        admin.setHeader("X-Forwarded-For", "192.0.2.1");
        It.loginAdmin(admin);
        String name = "l" + UUID.randomUUID().toString().substring(0, 8);
        TestClient.Res res = admin.postJson("api/admin/users", Json.createObjectBuilder().add("username", name)
                .add("password", PASSWORD).build().toString());
        assertEquals(201, res.status(), res::toString);
        return name;
    }

    private static TestClient.Res login(PayaraMicro on, String user, String password, String client) {
        TestClient t = new TestClient(on.base());
        t.setHeader("X-Forwarded-For", client);
        return t.postJson("api/auth/login", Json.createObjectBuilder().add("username", user).add("password", password).build().toString());
    }

    @Test
    void fiftySimultaneousSignIns_withALimitOfTwo_leaveExactlyTwoSessions() throws Exception {
        String name = newUser(c);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<TestClient> clients = new ArrayList<>();
        try {
            List<Future<TestClient.Res>> calls = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                TestClient t = new TestClient(c.base());
                t.setHeader("X-Forwarded-For", "198.51.100." + (i + 1));
                clients.add(t);
                calls.add(pool.submit(() -> t.postJson("api/auth/login",
                        "{\"username\":\"" + name + "\",\"password\":\"" + PASSWORD + "\"}")));
            }
            for (Future<TestClient.Res> f : calls) {
                assertEquals(200, f.get().status(), f.get()::toString);
            }
        } finally {
            pool.shutdownNow();
        }
        int live = 0;
        int evicted = 0;
        for (TestClient t : clients) {
            TestClient.Res res = t.get("api/me");
            if (res.status() == 200) {
                live++;
            } else {
                It.assertError(res, 401, "session_expired");
                assertTrue(res.json().getString("message").contains("too many devices"), res::toString);
                evicted++;
            }
        }
        assertEquals(2, live, "live sessions after 50 simultaneous sign-ins with a limit of 2");
        assertEquals(48, evicted);
    }

    @Test
    void throttling_isSharedByBothInstances_andResetBySuccess() {
        String name = newUser(c);
        String client = "203.0.113.10";
        for (int i = 0; i < 3; i++) {
            It.assertError(login(i % 2 == 0 ? c : d, name, "wrong-password-" + i, client), 401, "invalid_credentials");
        }
        TestClient.Res blocked = login(d, name, PASSWORD, "203.0.113.11");
        It.assertError(blocked, 429, "too_many_attempts");
        long retryAfter = Long.parseLong(blocked.header("Retry-After").orElseThrow());
        assertTrue(retryAfter > 0 && retryAfter <= 120, blocked::toString);
        It.assertError(login(c, name, PASSWORD, client), 429, "too_many_attempts");

        String other = newUser(d);
        It.assertError(login(c, other, "wrong-password", "203.0.113.20"), 401, "invalid_credentials");
        It.assertError(login(d, other, "wrong-password", "203.0.113.20"), 401, "invalid_credentials");
        assertEquals(200, login(c, other, PASSWORD, "203.0.113.20").status(), "success before the limit");
        for (int i = 0; i < 2; i++) {
            It.assertError(login(d, other, "wrong-password", "203.0.113.21"), 401, "invalid_credentials");
        }
        assertEquals(200, login(d, other, PASSWORD, "203.0.113.21").status(), "the success reset the account's count");
    }

    @Test
    void throttling_perClientAddress_acrossAccounts() {
        String client = "203.0.113.30";
        for (int i = 0; i < 6; i++) {
            It.assertError(login(i % 2 == 0 ? c : d, "nobody" + i, "wrong-password", client), 401, "invalid_credentials");
        }
        It.assertError(login(c, "nobody-else", "wrong-password", client), 429, "too_many_attempts");
        It.assertError(login(d, "nobody-else", "wrong-password", "203.0.113.31"), 401, "invalid_credentials");
    }

    @Test
    void revokeAll_ofOneThousandSessionsOfOneUser() throws Exception {
        String name = newUser(d);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<TestClient> sample = new ArrayList<>();
        try {
            List<Future<TestClient.Res>> calls = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                TestClient t = new TestClient(d.base());
                t.setHeader("X-Forwarded-For", "198.18." + (i / 250) + "." + (i % 250));
                if (i % 100 == 0) {
                    sample.add(t);
                }
                calls.add(pool.submit(() -> t.postJson("api/auth/login",
                        "{\"username\":\"" + name + "\",\"password\":\"" + PASSWORD + "\"}")));
            }
            for (Future<TestClient.Res> f : calls) {
                assertEquals(200, f.get().status());
            }
        } finally {
            pool.shutdownNow();
        }
        TestClient admin = new TestClient(d.base());
        admin.setHeader("X-Forwarded-For", "192.0.2.1");
        It.loginAdmin(admin);
        assertEquals(1000, It.array(admin.get("api/admin/users/" + name + "/sessions")).size());
        long start = System.nanoTime();
        assertEquals(204, admin.delete("api/admin/users/" + name + "/sessions").status());
        System.out.println("[measure] revoke-all of 1,000 sessions over HTTP: " + (System.nanoTime() - start) / 1_000_000 + " ms");
        for (TestClient t : sample) {
            It.assertError(t.get("api/me"), 401, "session_expired");
        }
        assertEquals(0, It.array(admin.get("api/admin/users/" + name + "/sessions")).size());
        long liveKeys = SuiteRedis.get().scanKeys("rs:s:*").stream().filter(k -> !k.endsWith(":gone"))
                .filter(k -> name.equals(SuiteRedis.get().call("HGET", k, "#u"))).count();
        assertEquals(0, liveKeys, "no session hash of the user is left");
    }
}
