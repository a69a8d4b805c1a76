package org.redsession.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.json.Json;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.SuiteRedis;
import org.redsession.testsupport.TestClient;

/**
 * Limits that need their own configuration, on two launched instances behind a (simulated) trusted proxy: the
 * per-user session limit under 50 simultaneous sign-ins, sign-in throttling shared by the instances, the
 * session-creation limit against an anonymous-session flood, and revoking all of 1,000 sessions of one user.
 */
class LimitsIT {
    static final String PASSWORD = "Quiet-River-Stone-77";
    static final int NEW_SESSIONS_PER_CLIENT = 20;
    static PayaraMicro c;
    static PayaraMicro d;

    @BeforeAll
    static void start() {
        // Both trust 127.0.0.1 as a proxy, so each test can be a different client through X-Forwarded-For.
        // c: step-up after 5 s (security.reauth-max-age), so a test can see a sign-in grow too old for admin changes.
        c = PayaraMicro.builder().name("limit-2").env("SESSION_MAX_PER_USER", "2").env("SECURITY_LOGIN_MAX_FAILURES", "3")
                .env("SECURITY_REAUTH_MAX_AGE", "PT5S")
                .env("SECURITY_LOGIN_MAX_FAILURES_PER_CLIENT", "6").env("SECURITY_LOGIN_WINDOW", "PT2M")
                .env("SECURITY_TRUSTED_PROXIES", "127.0.0.1").env("SECURITY_PASSWORD_HASH_ITERATIONS", "10000")
                .env("SECURITY_SESSION_CREATION_MAX_PER_CLIENT", Integer.toString(NEW_SESSIONS_PER_CLIENT)).start();
        d = PayaraMicro.builder().name("limit-5000").env("SESSION_MAX_PER_USER", "5000").env("SECURITY_LOGIN_MAX_FAILURES", "3")
                .env("SECURITY_LOGIN_MAX_FAILURES_PER_CLIENT", "6").env("SECURITY_LOGIN_WINDOW", "PT2M")
                .env("SECURITY_TRUSTED_PROXIES", "127.0.0.1").env("SECURITY_PASSWORD_HASH_ITERATIONS", "10000")
                .env("SECURITY_SESSION_CREATION_MAX_PER_CLIENT", Integer.toString(NEW_SESSIONS_PER_CLIENT)).start();
    }

    @AfterAll
    static void stop() {
        for (PayaraMicro p : new PayaraMicro[] {c, d}) {
            if (p != null) {
                p.stop();
            }
        }
    }

    @Test
    void adminChanges_needARecentSignIn_andReauthenticationKeepsTheSessionWithANewId() {
        TestClient admin = new TestClient(c.base());
        admin.setHeader("X-Forwarded-For", "192.0.2.7");
        It.loginAdmin(admin);
        assertEquals(1, admin.post("api/counter").json().getInt("counter"));
        assertEquals(404, admin.delete("api/admin/users/no-such-user").status(), "a fresh sign-in passes the step-up");
        // Once the sign-in is older than security.reauth-max-age (5 s here), changes are refused; reads are not.
        TestClient.Res refused = Poll.until(Duration.ofSeconds(30), "an admin change refused for an old sign-in", () -> {
            TestClient.Res r = admin.delete("api/admin/users/no-such-user");
            return r.status() == 404 ? Optional.empty() : Optional.of(r);
        });
        It.assertError(refused, 401, "reauthentication_required");
        It.assertError(admin.postJson("api/admin/users", "{\"username\":\"stepup\",\"password\":\"" + PASSWORD + "\"}"),
                401, "reauthentication_required");
        It.assertError(admin.delete("api/admin/users/admin/sessions"), 401, "reauthentication_required");
        assertEquals(200, admin.get("api/admin/users").status(), "reading needs no step-up");
        assertEquals(200, admin.get("api/me").status(), "the session itself stays signed in");

        It.assertError(admin.postJson("api/auth/reauthenticate", "{\"password\":\"wrong password\"}"), 401,
                "invalid_credentials");
        String before = admin.cookies().get(It.COOKIE);
        TestClient.Res again = admin.postJson("api/auth/reauthenticate", "{\"password\":\"" + It.ADMIN_PASSWORD + "\"}");
        assertEquals(200, again.status(), again::toString);
        assertEquals(It.ADMIN, again.json().getString("username"));
        admin.setHeader("X-CSRF-Token", again.json().getString("csrfToken"));
        assertTrue(!before.equals(admin.cookies().get(It.COOKIE)), "the id is renewed");
        assertEquals(2, admin.post("api/counter").json().getInt("counter"), "the session keeps its data");
        assertEquals(404, admin.delete("api/admin/users/no-such-user").status(), "the step-up passes again");
        TestClient old = new TestClient(c.base());
        old.setCookie(It.COOKIE, before);
        It.assertError(old.get("api/me"), 401, "session_expired");
        It.assertError(new TestClient(c.base()).postJson("api/auth/reauthenticate", "{\"password\":\"x\"}"), 401,
                "not_authenticated");
    }

    @Test
    void adminEndsEveryonesSessions_butKeepsTheCurrentOneWithANewId() {
        List<TestClient> others = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestClient user = new TestClient(c.base());
            user.setHeader("X-Forwarded-For", "198.51.100." + (30 + i));
            It.login(user, newUser(c), PASSWORD);
            others.add(user);
        }
        TestClient otherAdmin = new TestClient(c.base());
        otherAdmin.setHeader("X-Forwarded-For", "192.0.2.8");
        It.loginAdmin(otherAdmin);
        others.add(otherAdmin);
        TestClient admin = new TestClient(c.base());
        admin.setHeader("X-Forwarded-For", "192.0.2.9");
        It.loginAdmin(admin);
        String before = admin.cookies().get(It.COOKIE);

        TestClient.Res res = admin.delete("api/admin/sessions");
        assertEquals(202, res.status(), res::toString);
        assertEquals("no-store", res.header("Cache-Control").orElse(""), res::toString);
        for (TestClient o : others) {
            // The first refusal says why (it also clears the cookie, so later requests are only not_authenticated).
            TestClient.Res refused = Poll.until(Duration.ofSeconds(30), "the session refused", () -> {
                TestClient.Res r = o.get("api/me");
                return r.status() == 200 ? Optional.empty() : Optional.of(r);
            });
            It.assertError(refused, 401, "session_expired");
        }
        assertEquals(200, admin.get("api/me").status(), "the caller stays signed in");
        assertTrue(!before.equals(admin.cookies().get(It.COOKIE)), "with a new id");
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

    /**
     * HSTS on every response to a request that came over HTTPS through a trusted proxy (this instance trusts
     * 127.0.0.1), pages, API answers and errors alike; never when the proxy says the browser used plain HTTP.
     */
    @Test
    void aRequestThatCameOverHttps_throughATrustedProxy_getsHsts_andPlainHttpNever() {
        TestClient t = new TestClient(c.base());
        for (String path : List.of("health/ready", "login", "api/me", "css/app.css")) {
            TestClient.Res https = t.send("GET", path, null, null, "X-Forwarded-Proto", "https");
            assertEquals(Optional.of("max-age=31536000"), https.header("Strict-Transport-Security"), () -> path + ": " + https);
            TestClient.Res http = t.send("GET", path, null, null, "X-Forwarded-Proto", "http");
            assertEquals(Optional.empty(), http.header("Strict-Transport-Security"), () -> path + ": " + http);
            TestClient.Res direct = t.get(path);
            assertEquals(Optional.empty(), direct.header("Strict-Transport-Security"), () -> path + ": " + direct);
        }
        It.assertError(t.send("GET", "api/me", null, null, "X-Forwarded-Proto", "https"), 401, "not_authenticated");
        assertTrue(t.last().header("Strict-Transport-Security").isPresent(), "on JSON errors too");
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

    /** Stored session hashes (tombstones excluded) in the suite Redis. */
    private static java.util.Set<String> liveSessionKeys() {
        java.util.Set<String> keys = new java.util.HashSet<>(SuiteRedis.get().scanKeys("rs:s:*"));
        keys.removeIf(k -> k.endsWith(":gone"));
        return keys;
    }

    /** One request of a new browser (no cookie) that makes the application store an anonymous session. */
    private static TestClient.Res newAnonymousSession(PayaraMicro on, String forwardedFor) {
        TestClient t = new TestClient(on.base());
        t.setHeader("X-Forwarded-For", forwardedFor);
        return t.send("PUT", "api/demo/session/attributes/cart", "text/plain", "1 item".getBytes(StandardCharsets.UTF_8));
    }

    private static double metric(PayaraMicro on, String name) {
        return new TestClient(on.base()).get("metrics?scope=application").body().lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void anAnonymousSessionFlood_fromOneClient_isCutAtTheLimit_onEveryInstance_andStoresNothingMore() {
        java.util.Set<String> before = liveSessionKeys();
        double refusedBefore = metric(c, "sessions_creation_refused_total") + metric(d, "sessions_creation_refused_total");
        int created = 0;
        int refused = 0;
        for (int i = 0; i < 100; i++) {
            // Behind the proxy, what the client writes into X-Forwarded-For comes first; the proxy appends the address
            // it sees. Forging the first part changes nothing.
            TestClient.Res res = newAnonymousSession(i % 2 == 0 ? c : d, "10.9." + (i / 250) + "." + (i % 250)
                    + ", 203.0.113.60");
            if (res.status() == 200) {
                created++;
                assertEquals(1, res.setCookies().size(), res::toString);
            } else {
                It.assertError(res, 429, "too_many_sessions");
                assertEquals(List.of(), res.setCookies(), () -> "no cookie for a refused session: " + res);
                long retryAfter = Long.parseLong(res.header("Retry-After").orElseThrow());
                assertTrue(retryAfter >= 1 && retryAfter <= 60, res::toString);
                refused++;
            }
        }
        assertEquals(NEW_SESSIONS_PER_CLIENT, created, "sessions created by one client within the window");
        assertEquals(100 - NEW_SESSIONS_PER_CLIENT, refused);
        java.util.Set<String> added = liveSessionKeys();
        added.removeAll(before);
        assertEquals(NEW_SESSIONS_PER_CLIENT, added.size(), "session hashes stored by the flood");
        for (String key : added) {
            assertTrue(SuiteRedis.get().ttl(key) > 0, key + " has a TTL");
        }
        assertEquals(100 - NEW_SESSIONS_PER_CLIENT, metric(c, "sessions_creation_refused_total")
                + metric(d, "sessions_creation_refused_total") - refusedBefore, 0.0);

        // Other clients are not affected, and neither are sign-ins nor the sessions the flooder already has.
        assertEquals(200, newAnonymousSession(c, "203.0.113.61").status());
        assertEquals(200, login(d, It.ADMIN, It.ADMIN_PASSWORD, "203.0.113.60").status());
    }

    @Test
    void ipv6Clients_areCountedByTheirSlash64() {
        int created = 0;
        for (int i = 1; i <= NEW_SESSIONS_PER_CLIENT + 10; i++) {
            // One host rotating through the addresses of its /64.
            TestClient.Res res = newAnonymousSession(c, "2001:db8:77:1:" + Integer.toHexString(i) + "::1");
            if (res.status() == 200) {
                created++;
            } else {
                It.assertError(res, 429, "too_many_sessions");
            }
        }
        assertEquals(NEW_SESSIONS_PER_CLIENT, created, "sessions created from one /64");
        assertEquals(200, newAnonymousSession(c, "2001:db8:77:2::1").status(), "the next /64 is another client");
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
