package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.TestClient;

/**
 * The near cache's guarantees across two instances on one Redis, in tight loops: instance A has the session cached
 * (two reads, the second normally a hit), instance B ends it or writes to it, and the client's very next request, to
 * A, must see that. Every kind of ending: sign-out, revoke one, revoke all others, password change, eviction by the
 * per-user limit, user deleted; and read-your-writes for the counter and an attribute. Then Redis is restarted and a
 * session revoked once it is back is refused by A.
 *
 * <p>Tries per kind: {@code -Dnearcache.tries} (default 200) and {@code -Dnearcache.writes} (default 2000); the
 * figures in docs/performance.md come from a run with 10,000.
 */
class NearCacheIT {
    static final int TRIES = Integer.getInteger("nearcache.tries", 200);
    static final int WRITES = Integer.getInteger("nearcache.writes", 2_000);
    static RedisServer redis;
    static PayaraMicro a;
    static PayaraMicro b;
    static TestClient adminOnB;
    static final Map<String, String> REPORT = new TreeMap<>();

    @BeforeAll
    static void start() {
        redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
        a = instance("nc-a").start();
        b = instance("nc-b").start();
        adminOnB = new TestClient(b.base());
        Ops.loginAdmin(adminOnB);
    }

    private static PayaraMicro.Builder instance(String name) {
        return PayaraMicro.builder().name(name).env("REDIS_URL", "redis://127.0.0.1:" + redis.port())
                .env("SESSION_MAX_PER_USER", "3")
                // One admin session (adminOnB) creates users and ends sessions for the whole class, which runs for
                // hours with -Dnearcache.tries=10000: longer than the step-up's default 15 minutes.
                .env("SECURITY_REAUTH_MAX_AGE", "PT24H")
                .env("SECURITY_PASSWORD_HASH_ITERATIONS", "10000")
                .env("SECURITY_SESSION_CREATION_MAX_PER_CLIENT", "100000");
    }

    @AfterAll
    static void stop() {
        REPORT.forEach((k, v) -> System.out.println("[near-cache] " + k + ": " + v));
        for (PayaraMicro p : new PayaraMicro[] {a, b}) {
            if (p != null) {
                p.stop();
            }
        }
        if (redis != null) {
            redis.stop();
        }
    }

    /** A new user (created on B by the admin) with this password. */
    private static String newUser(String password) {
        String name = "nc-" + UUID.randomUUID().toString().substring(0, 12);
        TestClient.Res created = adminOnB.postJson("api/admin/users", Json.createObjectBuilder().add("username", name)
                .add("password", password).add("roles", Json.createArrayBuilder().add("user")).build().toString());
        assertEquals(201, created.status(), created::toString);
        return name;
    }

    private static TestClient signInOnB(String user, String password) {
        TestClient c = new TestClient(b.base());
        TestClient.Res res = c.postJson("api/auth/login", Json.createObjectBuilder().add("username", user)
                .add("password", password).build().toString());
        assertEquals(200, res.status(), res::toString);
        c.setHeader("X-CSRF-Token", res.json().getString("csrfToken"));
        return c;
    }

    /** Two reads of the session on A: the first fills A's cache, the second is normally served from it. */
    private static TestClient warmOnA(TestClient onB) {
        TestClient onA = onB.withBase(a.base());
        for (int i = 0; i < 2; i++) {
            TestClient.Res me = onA.get("api/me");
            assertEquals(200, me.status(), me::toString);
        }
        return onA;
    }

    private static double hitsOnA() {
        return new TestClient(a.base()).get("metrics?scope=application").body().lines()
                .filter(l -> l.startsWith("session_near_cache_hits"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /**
     * Runs {@code tries} times: {@code setUp} signs in (on B) and returns the session to end, A caches it, {@code end}
     * ends it on B, and A must refuse the very next request with it.
     */
    private static void endedOnB_refusedOnA(String kind, java.util.function.Supplier<TestClient[]> setUp,
            Consumer<TestClient[]> end) {
        double hitsBefore = hitsOnA();
        List<String> served = new ArrayList<>();
        for (int i = 0; i < TRIES; i++) {
            TestClient[] sessions = setUp.get();
            TestClient onA = warmOnA(sessions[0]);
            end.accept(sessions);
            TestClient.Res after = onA.get("api/me");
            if (after.status() != 401) {
                served.add("try " + i + ": " + after.status());
            }
        }
        double hits = hitsOnA() - hitsBefore;
        REPORT.put(kind, TRIES + " tries, " + served.size() + " served after the end, " + (long) hits + " cache hits on A");
        assertEquals(List.of(), served, kind + ": requests A served after B had ended the session");
        assertTrue(hits > 0, kind + ": A's cache served none of the warm-up reads");
    }

    @Test
    void signOutOnB() {
        String password = "near cache sign-out pass";
        String user = newUser(password);
        endedOnB_refusedOnA("sign-out", () -> new TestClient[] {signInOnB(user, password)},
                s -> assertEquals(204, s[0].post("api/auth/logout").status()));
    }

    @Test
    void revokeOneOnB() {
        String password = "near cache revoke-one pass";
        String user = newUser(password);
        endedOnB_refusedOnA("revoke one", () -> new TestClient[] {signInOnB(user, password), signInOnB(user, password)},
                s -> {
                    // One DELETE per other session of the user (the victim, and any older one the limit left).
                    List<String> handles = Ops.array(s[1].get("api/me/sessions")).stream().map(JsonObject.class::cast)
                            .filter(j -> !j.getBoolean("current")).map(j -> j.getString("id")).toList();
                    assertTrue(!handles.isEmpty());
                    handles.forEach(h -> assertEquals(204, s[1].delete("api/me/sessions/" + h).status()));
                });
    }

    @Test
    void revokeAllOthersOnB() {
        String password = "near cache revoke-all pass";
        String user = newUser(password);
        endedOnB_refusedOnA("revoke all others", () -> new TestClient[] {signInOnB(user, password), signInOnB(user, password)},
                s -> assertEquals(204, s[1].delete("api/me/sessions?scope=others").status()));
    }

    @Test
    void passwordChangeOnB() {
        String[] passwords = {"near cache password one", "near cache password two"};
        String user = newUser(passwords[0]);
        int[] current = {0};
        endedOnB_refusedOnA("password change", () -> new TestClient[] {signInOnB(user, passwords[current[0]]),
            signInOnB(user, passwords[current[0]])}, s -> {
                String next = passwords[1 - current[0]];
                TestClient.Res changed = s[1].postJson("api/me/password", Json.createObjectBuilder()
                        .add("currentPassword", passwords[current[0]]).add("newPassword", next).build().toString());
                assertEquals(204, changed.status(), changed::toString);
                current[0] = 1 - current[0];
            });
    }

    @Test
    void evictionByThePerUserLimitOnB() {
        String password = "near cache eviction pass";
        String user = newUser(password);
        endedOnB_refusedOnA("evicted by the per-user limit (3)", () -> {
            assertEquals(204, adminOnB.delete("api/admin/users/" + user + "/sessions").status());
            return new TestClient[] {signInOnB(user, password)};
        }, s -> {
            for (int i = 0; i < 3; i++) {
                signInOnB(user, password); // the 4th session evicts the oldest: the one A has cached
            }
        });
    }

    @Test
    void userDeletedOnB() {
        String password = "near cache deleted pass";
        String[] user = new String[1];
        endedOnB_refusedOnA("user deleted", () -> {
            user[0] = newUser(password);
            return new TestClient[] {signInOnB(user[0], password)};
        }, s -> assertEquals(204, adminOnB.delete("api/admin/users/" + user[0]).status()));
    }

    @Test
    void writesOnB_areReadOnA() {
        String password = "near cache writes pass";
        TestClient onB = signInOnB(newUser(password), password);
        TestClient onA = onB.withBase(a.base());
        double hitsBefore = hitsOnA();
        List<String> stale = new ArrayList<>();
        for (int i = 1; i <= WRITES; i++) {
            onA.get("api/demo/session"); // keeps A's copy warm
            String expected;
            String seen;
            if (i % 2 == 0) {
                expected = Integer.toString(Ops.increment(onB));
                seen = String.valueOf(onA.get("api/demo/session").json().getJsonObject("attributes").get("counter"));
            } else {
                expected = "\"v" + i + "\"";
                assertEquals(200, onB.send("PUT", "api/demo/session/attributes/note", "text/plain",
                        ("v" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)).status());
                seen = String.valueOf(onA.get("api/demo/session").json().getJsonObject("attributes").get("note"));
            }
            if (!expected.equals(seen)) {
                stale.add("write " + i + ": expected " + expected + ", A read " + seen);
            }
        }
        double hits = hitsOnA() - hitsBefore;
        REPORT.put("read-your-writes", WRITES + " writes on B (counter, attribute), " + stale.size()
                + " stale reads on A, " + (long) hits + " cache hits on A");
        assertEquals(List.of(), stale);
        assertTrue(hits > 0, "A's cache served none of the reads");
        int counter = Ops.increment(onB);
        assertEquals(WRITES / 2 + 1, counter, "no increment lost");
    }

    @Test
    void redisRestarted_aSessionRevokedOnceItIsBack_isRefusedOnA() {
        String password = "near cache restart pass";
        String user = newUser(password);
        TestClient victim = signInOnB(user, password);
        TestClient other = signInOnB(user, password);
        TestClient victimOnA = warmOnA(victim);
        redis.stop();
        redis.restart();
        Poll.until(Duration.ofSeconds(60), "both instances ready again", () ->
                new TestClient(a.base()).get("health/ready").status() == 200
                        && new TestClient(b.base()).get("health/ready").status() == 200);
        assertEquals(204, other.delete("api/me/sessions?scope=others").status());
        Ops.assertError(victimOnA.get("api/me"), 401, "session_expired");
        assertEquals(200, other.withBase(a.base()).get("api/me").status());
    }
}
