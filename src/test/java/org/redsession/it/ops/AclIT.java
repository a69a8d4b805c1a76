package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.Resp;
import org.redsession.testsupport.RespError;
import org.redsession.testsupport.TestClient;

/**
 * The shipped least-privilege ACL user ({@code redis/users.acl}): the whole session flow works as that user, and what
 * the application never needs is refused to it.
 */
class AclIT {
    static final String PASSWORD = "acl-" + UUID.randomUUID();
    static RedisServer redis;
    static PayaraMicro app;

    @BeforeAll
    static void start() throws Exception {
        String shipped = Files.readAllLines(Path.of("redis/users.acl"), StandardCharsets.UTF_8).stream()
                .filter(l -> l.startsWith("user redsession ")).findFirst().orElseThrow();
        Path acl = Files.createTempFile("users", ".acl");
        // The shipped line with the test's password; the default user stays open for the test's own checks.
        Files.writeString(acl, shipped.replace(">change-me-to-a-long-random-password", ">" + PASSWORD) + "\n"
                + "user default on nopass ~* &* +@all\n");
        redis = RedisServer.start("--aclfile", acl.toString());
        app = PayaraMicro.builder().name("acl")
                .env("REDIS_URL", "redis://redsession:" + PASSWORD + "@127.0.0.1:" + redis.port())
                .env("SESSION_SWEEP_INTERVAL", "PT2S")
                .env("SECURITY_PASSWORD_HASH_ITERATIONS", "10000")
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
    void theWholeSessionFlow_worksAsTheAclUser_andNothingWasRefused() {
        redis.call("ACL", "LOG", "RESET"); // the other test's refusals are its own
        TestClient first = new TestClient(app.base());
        JsonObject login = Ops.loginAdmin(first);
        assertEquals(1, Ops.increment(first));
        assertEquals(2, Ops.increment(first));
        TestClient second = new TestClient(app.base());
        Ops.loginAdmin(second);
        assertTrue(Ops.array(first.get("api/me/sessions")).size() >= 2);
        assertEquals(204, first.delete("api/me/sessions?scope=others").status());
        Ops.assertError(second.get("api/me"), 401, "session_expired");
        first.setHeader("X-CSRF-Token", first.get("api/session").json().getString("csrfToken"));

        String name = "acl-" + UUID.randomUUID().toString().substring(0, 8);
        String password = "an acl user's long password";
        assertEquals(201, first.postJson("api/admin/users", Json.createObjectBuilder().add("username", name)
                .add("password", password).build().toString()).status());
        TestClient user = new TestClient(app.base());
        TestClient.Res signedIn = user.postJson("api/auth/login", Json.createObjectBuilder().add("username", name)
                .add("password", password).build().toString());
        assertEquals(200, signedIn.status(), signedIn::toString);
        assertEquals(name, first.get("api/admin/users?prefix=" + name).json().getJsonArray("users").getJsonObject(0)
                .getString("username"));
        assertEquals(200, first.get("api/admin/stats").status());
        assertEquals(1, Ops.array(first.get("api/admin/users/" + name + "/sessions")).size());
        assertEquals(204, first.delete("api/admin/users/" + name + "/sessions").status());
        assertEquals(204, first.delete("api/admin/users/" + name).status());

        // The expiry sweep: a session whose idle timeout is cut to 2 s is announced (sessions_expired_total).
        double before = expiredTotal();
        TestClient shortLived = new TestClient(app.base());
        shortLived.setHeader("X-CSRF-Token", Ops.loginAdmin(shortLived).getString("csrfToken"));
        assertEquals(200, shortLived.send("PUT", "api/demo/session/max-inactive-interval", "text/plain",
                "2".getBytes(StandardCharsets.UTF_8)).status());
        Poll.until(Duration.ofSeconds(60), "the sweep announced the expiry", () -> expiredTotal() >= before + 1);
        assertEquals(204, first.post("api/auth/logout").status());
        assertTrue(login.containsKey("csrfToken"));

        assertEquals(List.of(), redis.call("ACL", "LOG"), "no command or key was refused to the application");
        assertEquals(200, new TestClient(app.base()).get("health/ready").status());
    }

    @Test
    void theAclUser_isRefusedWhatTheApplicationNeverNeeds() {
        try (Resp asApp = new Resp(redis.port())) {
            assertEquals("OK", asApp.call("AUTH", "redsession", PASSWORD));
            for (String[] command : List.of(new String[] {"FLUSHALL"}, new String[] {"KEYS", "*"},
                    new String[] {"CONFIG", "GET", "*"}, new String[] {"GET", "other:key"},
                    new String[] {"SET", "other:key", "x"}, new String[] {"SCAN", "0"}, new String[] {"FLUSHDB"}, new String[] {"SCRIPT", "FLUSH"},
                    new String[] {"EVAL", "return redis.call('GET', KEYS[1])", "1", "other:key"})) {
                RespError e = assertThrows(RespError.class, () -> asApp.call(command), () -> String.join(" ", command));
                assertEquals("NOPERM", e.kind(), () -> String.join(" ", command) + ": " + e.getMessage());
            }
            assertEquals("PONG", asApp.call("PING"));
            asApp.call("SET", "rs:acl-probe", "x", "PX", "10000"); // its own prefix is fine
        }
    }

    private static double expiredTotal() {
        return new TestClient(app.base()).get("metrics?scope=application").body().lines()
                .filter(l -> l.startsWith("sessions_expired_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
