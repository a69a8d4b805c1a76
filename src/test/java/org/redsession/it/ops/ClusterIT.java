package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.redsession.testsupport.FreePorts;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.TestClient;

/**
 * A three-primary Redis Cluster on loopback (slots assigned with CLUSTER ADDSLOTS, nodes joined with CLUSTER MEET)
 * and the application in REDIS_MODE=cluster: the core flows work, which proves every multi-key script keeps its
 * keys in one hash slot (Redis would refuse it with CROSSSLOT otherwise). The last test inspects every node.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    static final int SLOTS = 16384;

    static final List<RedisServer> nodes = new ArrayList<>();
    static PayaraMicro app;

    @BeforeAll
    static void start() {
        for (int i = 0; i < 3; i++) {
            // cluster-port: the default (port + 10000) may not exist for a high ephemeral port.
            nodes.add(RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "5000", "--cluster-port", Integer.toString(FreePorts.next())));
        }
        for (int i = 0; i < 3; i++) {
            int from = i * SLOTS / 3;
            int to = (i + 1) * SLOTS / 3 - 1;
            List<String> command = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
            for (int slot = from; slot <= to; slot++) {
                command.add(Integer.toString(slot));
            }
            assertEquals("OK", nodes.get(i).call(command.toArray(String[]::new)));
        }
        for (int i = 1; i < 3; i++) {
            assertEquals("OK", nodes.get(0).call("CLUSTER", "MEET", "127.0.0.1", Integer.toString(nodes.get(i).port()),
                    clusterBusPort(nodes.get(i))));
        }
        for (RedisServer node : nodes) {
            Poll.until(Duration.ofSeconds(30), "node " + node.port() + " reports cluster_state:ok with 3 nodes", () -> {
                Map<String, String> info = Ops.parseInfo((String) node.call("CLUSTER", "INFO"));
                return "ok".equals(info.get("cluster_state")) && "3".equals(info.get("cluster_known_nodes"));
            });
        }
        String addresses = nodes.stream().map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
        app = PayaraMicro.builder().name("cluster")
                .env("REDIS_MODE", "cluster")
                .env("REDIS_NODES", addresses)
                .env("REDIS_URL", nodes.get(0).url())
                .env("SESSION_SWEEP_INTERVAL", "PT2S")
                .env("APP_DEMO_LOG_SESSION_EVENTS", "true") // a log line per ended session, to count announcements
                .start();
    }

    private static String clusterBusPort(RedisServer node) {
        List<String> command = node.command();
        return command.get(command.indexOf("--cluster-port") + 1);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.stop();
        }
        nodes.forEach(RedisServer::stop);
    }

    @Test
    @Order(0)
    void theNearCacheSwitchesItselfOff_sayingWhy() {
        assertTrue(app.logText().contains("Near cache: off with redis.mode=cluster"), () -> app.logTail(60));
    }

    @Test
    @Order(1)
    void signIn_me_counterToFive_session_thenLogout_andTheOldCookieIsExpired() {
        TestClient user = new TestClient(app.base());
        Ops.loginAdmin(user);
        TestClient.Res me = user.get("api/me");
        assertEquals(200, me.status(), me::toString);
        assertEquals(Ops.ADMIN, me.json().getString("username"));
        for (int i = 1; i <= 5; i++) {
            assertEquals(i, Ops.increment(user));
        }
        TestClient.Res session = user.get("api/session");
        assertEquals(200, session.status(), session::toString);
        assertEquals(Ops.ADMIN, session.json().getString("username"));
        assertTrue(session.json().containsKey("idleExpiresAt"), session::toString);

        String cookie = user.cookies().get(Ops.COOKIE);
        assertEquals(204, user.post("api/auth/logout").status());
        TestClient stale = new TestClient(app.base());
        stale.setCookie(Ops.COOKIE, cookie);
        Ops.assertError(stale.get("api/me"), 401, "session_expired");
    }

    @Test
    @Order(2)
    void mySessions_listed_andRevokingTheOthers_endsThem() {
        TestClient first = new TestClient(app.base());
        TestClient second = new TestClient(app.base());
        Ops.loginAdmin(first);
        Ops.loginAdmin(second);
        assertEquals(1, Ops.increment(second));

        JsonArray sessions = Ops.array(first.get("api/me/sessions"));
        assertTrue(sessions.size() >= 2, () -> "both sessions are listed: " + sessions);
        assertEquals(1, sessions.stream().filter(s -> s.asJsonObject().getBoolean("current")).count(),
                () -> "exactly one is the current one: " + sessions);

        TestClient.Res revoked = first.delete("api/me/sessions?scope=others");
        assertEquals(204, revoked.status(), revoked::toString);
        Ops.assertError(second.get("api/me"), 401, "session_expired");
        TestClient.Res session = first.get("api/session");
        assertEquals(200, session.status(), session::toString);
        // Revoking the others renews this session's id and CSRF token.
        first.setHeader("X-CSRF-Token", session.json().getString("csrfToken"));
        JsonArray after = Ops.array(first.get("api/me/sessions"));
        assertEquals(1, after.size(), () -> "only the current session is left: " + after);
        assertEquals(204, first.post("api/auth/logout").status());
    }

    @Test
    @Order(3)
    void adminCreatesAUser_whoSignsIn_andDeletingTheUserEndsTheirSession() {
        TestClient admin = new TestClient(app.base());
        Ops.loginAdmin(admin);
        String name = "cluster-user-" + System.nanoTime() % 100_000;
        String password = "a long cluster password 42";
        JsonObject body = Json.createObjectBuilder().add("username", name).add("password", password)
                .add("roles", Json.createArrayBuilder().add("user")).build();
        TestClient.Res created = admin.postJson("api/admin/users", body.toString());
        assertEquals(201, created.status(), created::toString);

        TestClient user = new TestClient(app.base());
        TestClient.Res login = user.postJson("api/auth/login", Json.createObjectBuilder().add("username", name)
                .add("password", password).build().toString());
        assertEquals(200, login.status(), login::toString);
        user.setHeader("X-CSRF-Token", login.json().getString("csrfToken"));
        assertEquals(1, Ops.increment(user));
        assertEquals(1, Ops.array(admin.get("api/admin/users/" + name + "/sessions")).size());
        TestClient.Res stats = admin.get("api/admin/stats");
        assertEquals(200, stats.status(), stats::toString);
        assertTrue(stats.json().getJsonNumber("users").longValue() >= 2, stats::toString);
        assertTrue(stats.json().getJsonNumber("activeSessions").longValue() >= 2, stats::toString);
        // The directory is sharded over the cluster: a page by prefix finds the user, and the admin on its own page.
        TestClient.Res page = admin.get("api/admin/users?limit=1&prefix=" + name);
        assertEquals(200, page.status(), page::toString);
        assertEquals(name, page.json().getJsonArray("users").getJsonObject(0).getString("username"), page::toString);
        assertTrue(page.json().isNull("next"), page::toString);
        TestClient.Res first = admin.get("api/admin/users?limit=1");
        assertEquals(1, first.json().getJsonArray("users").size(), first::toString);
        assertFalse(first.json().isNull("next"), () -> "more than one user: " + first);

        assertEquals(204, admin.delete("api/admin/users/" + name).status());
        TestClient.Res me = user.get("api/me");
        assertEquals(401, me.status(), () -> "the deleted user's session ended: " + me);
        assertEquals(204, admin.post("api/auth/logout").status());
    }

    @Test
    @Order(4)
    void aSessionThatTimesOut_isAnnouncedOnce_bySweepingTheShardedExpiryIndex() {
        double before = expiredTotal();
        TestClient user = new TestClient(app.base());
        JsonObject login = Ops.loginAdmin(user);
        user.setHeader("X-CSRF-Token", login.getString("csrfToken"));
        TestClient.Res shortened = user.send("PUT", "api/demo/session/max-inactive-interval", "text/plain",
                "2".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(200, shortened.status(), shortened::toString);
        String handle = Ops.array(user.get("api/me/sessions")).stream().map(v -> v.asJsonObject())
                .filter(o -> o.getBoolean("current")).findFirst().orElseThrow().getString("id");
        String hash = shortHash(handle);
        // The deadline moved earlier than where the sign-in indexed it: the sweep still finds it, within its
        // 30-second bucket, the 2-second settling time and the 2-second sweep interval.
        Poll.until(Duration.ofSeconds(60), "the expiry is announced", () -> app.logText().contains("sessionDestroyed " + hash));
        Ops.assertError(user.get("api/me"), 401, "session_expired");
        Poll.until(Duration.ofSeconds(10), "sessions_expired_total counts it", () -> expiredTotal() >= before + 1);
        assertEquals(1, app.logText().split("sessionDestroyed " + hash, -1).length - 1, "announced once");
    }

    private static double expiredTotal() {
        return new TestClient(app.base()).get("metrics?scope=application").body().lines()
                .filter(l -> l.startsWith("sessions_expired_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** As the demo listener logs a session id: the first 12 hex digits of its SHA-256. */
    private static String shortHash(String id) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(5)
    void everySessionKeyHasATtl_andNoNodeEverRefusedACrossSlotCommand() {
        TestClient user = new TestClient(app.base());
        Ops.loginAdmin(user);
        Ops.increment(user);

        Map<String, Long> ttls = new LinkedHashMap<>();
        for (RedisServer node : nodes) {
            for (String key : node.scanKeys("*")) {
                ttls.put(key, node.ttl(key));
            }
        }
        assertFalse(ttls.keySet().stream().noneMatch(k -> k.startsWith("rs:s:")), () -> "session keys exist: " + ttls);
        Map<String, Long> withoutTtl = ttls.entrySet().stream()
                // accounts and the user directory are persistent data
                .filter(e -> !e.getKey().startsWith("rs:a:") && !e.getKey().startsWith("rs:d:"))
                .filter(e -> e.getValue() <= 0)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertEquals(Map.of(), withoutTtl, "every key but the accounts and the directory has a TTL");
        for (String prefix : List.of("rs:a:", "rs:d:{d", "rs:x:{x", "rs:u:{")) {
            assertTrue(ttls.keySet().stream().anyMatch(k -> k.startsWith(prefix)), () -> prefix + " keys exist: " + ttls.keySet());
        }
        // The cluster-wide keys are spread: the directory and expiry shards live on more than one node.
        long nodesWithShards = nodes.stream().filter(n -> n.scanKeys("rs:x:{x*").size() + n.scanKeys("rs:d:{d*").size() > 0).count();
        assertTrue(nodesWithShards >= 2, () -> "shards on " + nodesWithShards + " node(s)");

        for (RedisServer node : nodes) {
            Map<String, String> errors = Ops.info(node, "errorstats");
            assertFalse(errors.containsKey("errorstat_CROSSSLOT"), () -> "node " + node.port() + ": " + errors);
        }
        assertEquals(200, user.get("health/ready").status());
    }
}
