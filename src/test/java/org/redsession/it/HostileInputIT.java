package org.redsession.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.SuiteRedis;
import org.redsession.testsupport.TestClient;

/**
 * Bad input and abuse: cookies, bodies, user names, and what is found in Redis. Each case gets a clear 4xx JSON error
 * or is treated as "no session"; never a 500, a stack trace or a hang; and no secret reaches the log.
 */
class HostileInputIT {
    static PayaraMicro instance;

    @BeforeAll
    static void start() {
        instance = PayaraMicro.builder().name("hostile").start();
    }

    @AfterAll
    static void stop() {
        if (instance != null) {
            instance.stop();
        }
    }

    private static TestClient client() {
        return new TestClient(instance.base());
    }

    private static void assertNoLeak(TestClient.Res res) {
        assertTrue(res.status() < 500, () -> "server error: " + res);
        String body = res.body();
        assertFalse(body.contains("Exception") || body.contains("\tat ") || body.contains("org.redsession"),
                () -> "stack trace or class names in " + res);
    }

    @Test
    void cookies_emptyHugeSeveralNonAsciiOrOfAnotherSecret_areNoSession() {
        TestClient signedIn = client();
        It.loginAdmin(signedIn);
        String genuine = signedIn.cookies().get(It.COOKIE);
        List<String> headers = List.of(It.COOKIE + "=", It.COOKIE, It.COOKIE + "=" + "A".repeat(4096),
                It.COOKIE + "=" + genuine + "; " + It.COOKIE + "=" + genuine,
                It.COOKIE + "=\"" + genuine + "\"x", It.COOKIE + "=é" + genuine.substring(1),
                It.COOKIE + "=%00%0d%0a", "JSESSIONID=ABCDEF0123456789; " + It.COOKIE + "=nonsense");
        for (String header : headers) {
            TestClient.Res res = client().send("GET", "api/me", null, null, "Cookie", header);
            assertNoLeak(res);
            It.assertError(res, 401, "not_authenticated");
        }
    }

    @Test
    void hugeCookies_8kAnd64k_getA4xxAndNoSession() {
        for (int size : new int[] {8 * 1024, 64 * 1024}) {
            TestClient.Res res = client().send("GET", "api/me", null, null, "Cookie", It.COOKIE + "=" + "B".repeat(size));
            assertTrue(res.status() >= 400 && res.status() < 500, () -> size + " bytes: " + res);
            assertTrue(res.setCookies().stream().noneMatch(c -> c.startsWith(It.COOKIE + "=") && !c.startsWith(It.COOKIE + "=;")),
                    () -> "no session issued: " + res);
        }
        assertEquals(200, client().get("health/live").status(), "the server is still fine");
    }

    @Test
    void jsessionidInTheUrl_isIgnored() {
        TestClient signedIn = client();
        It.loginAdmin(signedIn);
        TestClient other = client();
        TestClient.Res res = other.get("api/me;jsessionid=" + signedIn.cookies().get(It.COOKIE));
        assertNoLeak(res);
        assertNotEquals(200, res.status(), res::toString);
        assertTrue(res.setCookies().stream().noneMatch(c -> c.toUpperCase().contains("JSESSIONID")), res::toString);
    }

    @Test
    void bodies_malformedWrongTypesMissingFields_400_invalidRequest() {
        for (String body : List.of("", "{", "null", "42", "\"text\"", "{\"username\":[\"a\"],\"password\":\"x\"}",
                "{\"username\":\"admin\",\"password\":{}}", "{\"password\":\"x\"}", "{\"username\":\"x\"}",
                "{\"username\":\"a\u0000b\",\"password\":\"x\"", "\uFEFF{}")) {
            TestClient.Res res = client().postJson("api/auth/login", body);
            assertNoLeak(res);
            It.assertError(res, 400, "invalid_request");
        }
    }

    @Test
    void formAndJsonContentTypes_bothWork_andOthersAre415() {
        TestClient.Res form = client().postForm("api/auth/login", Map.of("username", It.ADMIN, "password", It.ADMIN_PASSWORD));
        assertEquals(200, form.status(), form::toString);
        TestClient.Res xml = client().send("POST", "api/auth/login", "application/xml", "<a/>".getBytes(StandardCharsets.UTF_8));
        assertNoLeak(xml);
        It.assertError(xml, 415, "unsupported_media_type");
        TestClient.Res missingForm = client().postForm("api/auth/login", Map.of("username", It.ADMIN));
        It.assertError(missingForm, 400, "invalid_request");
    }

    @Test
    void tenMegabyteBody_413_payloadTooLarge() {
        byte[] body = new byte[10 * 1024 * 1024];
        Arrays.fill(body, (byte) 'a');
        body[0] = '{';
        TestClient.Res res = client().send("POST", "api/auth/login", "application/json", body);
        assertNoLeak(res);
        It.assertError(res, 413, "payload_too_large");
    }

    @Test
    void unicodeControlAndVeryLongNamesAndPasswords_areRefusedCleanly() {
        for (String name : List.of("ädmin", "admin\u0000", "admin\r\nX-Injected: 1", "\u202Eadmin", "a".repeat(10_000))) {
            TestClient.Res res = client().postJson("api/auth/login", jakarta.json.Json.createObjectBuilder()
                    .add("username", name).add("password", "whatever-password").build().toString());
            assertNoLeak(res);
            It.assertError(res, 401, "invalid_credentials");
        }
        TestClient.Res longPassword = client().postJson("api/auth/login", jakarta.json.Json.createObjectBuilder()
                .add("username", It.ADMIN).add("password", "p".repeat(100_000)).build().toString());
        assertNoLeak(longPassword);
        It.assertError(longPassword, 401, "invalid_credentials");
        // These failures count against the throttle of 127.0.0.1; forget them so later tests can sign in.
        for (String key : SuiteRedis.get().scanKeys("rs:{throttle}:*")) {
            SuiteRedis.get().call("DEL", key);
        }
    }

    /** The Redis key of the client's current session: its handle (as "my sessions" lists it) is the key's hash. */
    private static String sessionKeyOf(TestClient c) {
        String handle = It.array(c.get("api/me/sessions")).stream().map(v -> v.asJsonObject())
                .filter(o -> o.getBoolean("current")).findFirst().orElseThrow().getString("id");
        return SuiteRedis.get().scanKeys("rs:s:*" + handle).stream().filter(k -> !k.endsWith(":gone"))
                .findFirst().orElseThrow();
    }

    @Test
    void aHugeUserAgent_isCut_andTheSignedInSessionStaysACompactListpack() {
        TestClient c = client();
        String chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36";
        c.setHeader("User-Agent", chrome + " " + "x".repeat(4000));
        It.loginAdmin(c);
        String key = sessionKeyOf(c);
        assertEquals(chrome.substring(0, 64), SuiteRedis.get().call("HGET", key, "#ua"));
        assertEquals("listpack", SuiteRedis.get().call("OBJECT", "ENCODING", key),
                "a value over 64 bytes would turn the session hash into a (3x larger) hash table");
        TestClient.Res mine = c.get("api/me/sessions");
        assertEquals(200, mine.status(), mine::toString);
        assertTrue(mine.body().contains(chrome.substring(0, 64).replace("/", "\\/"))
                || mine.body().contains(chrome.substring(0, 64)), mine::toString);
    }

    @Test
    void redisContents_corruptOrForeignAttributes_areDropped_andTheSessionStaysUsable() {
        TestClient c = client();
        It.loginAdmin(c);
        c.post("api/counter");
        String key = sessionKeyOf(c);
        SuiteRedis.get().call("HSET", key, "a:foreign", "j:java.util.HashMap|{}");
        SuiteRedis.get().call("HSET", key, "a:garbage", "\u0000\u0001\u0002garbage");
        // A planted Java deserialization gadget (commons-collections style stream header): never instantiated.
        SuiteRedis.get().call("HSET", key, "a:gadget", "rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZZTaMLT7P4KxAwACSQAEc2l6ZQ==");
        TestClient probe = client();
        double before = quarantined(probe.get("metrics?scope=application").body());
        TestClient.Res me = c.get("api/me");
        assertEquals(200, me.status(), me::toString);
        assertEquals(2, c.post("api/counter").json().getInt("counter"));
        TestClient.Res session = c.get("api/session");
        assertEquals(200, session.status(), session::toString);
        assertEquals("[\"counter\"]", session.json().getJsonArray("attributes").toString(), "only the readable attribute is seen");
        assertTrue(quarantined(probe.get("metrics?scope=application").body()) >= before + 3, "the three unreadable attributes are counted");
        assertEquals("j:java.util.HashMap|{}", SuiteRedis.get().call("HGET", key, "a:foreign"), "kept in Redis, only left out of the view");
        assertFalse(instance.logText().contains("PriorityQueue"), "the gadget class was never loaded or named");
    }

    private static double quarantined(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("session_attributes_quarantined_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aSessionHashWithMissingFields_isEnded_neverReadAsNew() {
        // Fail closed (ASVS C36): read as created "now", such a session would renew its absolute lifetime on every load.
        TestClient c = client();
        TestClient probe = client();
        It.loginAdmin(c);
        String key = sessionKeyOf(c);
        double before = counter(probe.get("metrics?scope=application").body(), "sessions_quarantined_total");
        SuiteRedis.get().call("HDEL", key, "#c", "#a", "#i", "#x", "#t", "#e");
        TestClient.Res me = refusedAfterDirectWrite(c);
        assertNoLeak(me);
        It.assertError(me, 401, "session_expired");
        assertEquals("invalid", me.json().getString("reason"), me::toString);
        assertEquals(0L, SuiteRedis.get().call("EXISTS", key), "the damaged record is deleted");
        It.assertError(c.get("api/me"), 401, "not_authenticated");
        assertEquals(before + 1, counter(probe.get("metrics?scope=application").body(), "sessions_quarantined_total"));
    }

    @Test
    void aSessionWithAnImpossibleCreationTime_orDeadline_isEnded() {
        for (String[] damage : new String[][] {{"#c", "not a number"}, {"#c", Long.toString(System.currentTimeMillis() + 86_400_000L)},
            {"#x", "not-a-number"}, {"#l", "soon"}}) {
            TestClient c = client();
            It.loginAdmin(c);
            String key = sessionKeyOf(c);
            SuiteRedis.get().call("HSET", key, damage[0], damage[1]);
            TestClient.Res me = refusedAfterDirectWrite(c);
            It.assertError(me, 401, "session_expired");
            assertEquals("invalid", me.json().getString("reason"), () -> damage[0] + "=" + damage[1] + ": " + me);
        }
    }

    /**
     * The first answer to GET /api/me that is not a 200. A write made straight into Redis (not through an instance)
     * is not held by the near cache's fence, so a request within 5 ms of it may still be served from the cache.
     */
    private static TestClient.Res refusedAfterDirectWrite(TestClient c) {
        return Poll.until(Duration.ofSeconds(5), "the damaged session is refused", () -> {
            TestClient.Res r = c.get("api/me");
            return r.status() == 200 ? java.util.Optional.empty() : java.util.Optional.of(r);
        });
    }

    private static double counter(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void attributesOverTheSessionCaps_are413_sessionTooLarge_andTheSessionKeepsItsData() {
        TestClient c = client();
        java.util.Set<String> before = new java.util.HashSet<>(SuiteRedis.get().scanKeys("rs:s:*"));
        TestClient.Res first = c.send("PUT", "api/demo/session/attributes/a", "text/plain", "small".getBytes(StandardCharsets.UTF_8));
        assertEquals(200, first.status(), first::toString);
        // An anonymous session gets the anonymous idle timeout (session.anonymous-idle-timeout, 15 min), in Redis too.
        assertEquals(900, first.json().getInt("maxInactiveInterval"), first::toString);
        java.util.Set<String> added = new java.util.HashSet<>(SuiteRedis.get().scanKeys("rs:s:*"));
        added.removeAll(before);
        assertEquals(1, added.size(), added::toString);
        String anonymous = added.iterator().next();
        long deadline = Long.parseLong(String.valueOf(SuiteRedis.get().call("HGET", anonymous, "#e")));
        long now = System.currentTimeMillis();
        assertTrue(deadline > now && deadline <= now + 900_000, "deadline in " + (deadline - now) + " ms");
        // The key lives on past its deadline for the expiry sweep (the linger: sweep interval 1 min + 92 s).
        long pttl = SuiteRedis.get().ttl(anonymous);
        assertTrue(pttl > 900_000 && pttl <= 900_000 + 152_000, "PTTL " + pttl);

        // One value over session.max-attribute-bytes (16 KiB).
        TestClient.Res big = c.send("PUT", "api/demo/session/attributes/big", "text/plain",
                "x".repeat(17_000).getBytes(StandardCharsets.UTF_8));
        assertNoLeak(big);
        It.assertError(big, 413, "session_too_large");
        // More than session.max-attributes (100).
        for (int i = 2; i <= 100; i++) {
            assertEquals(200, c.send("PUT", "api/demo/session/attributes/a" + i, "text/plain", new byte[] {'v'}).status());
        }
        TestClient.Res tooMany = c.send("PUT", "api/demo/session/attributes/one-more", "text/plain", new byte[] {'v'});
        It.assertError(tooMany, 413, "session_too_large");
        // Over session.max-session-bytes (64 KiB) with values that each fit.
        TestClient d = client();
        for (int i = 0; i < 4; i++) {
            assertEquals(200, d.send("PUT", "api/demo/session/attributes/part" + i, "text/plain",
                    "y".repeat(15_000).getBytes(StandardCharsets.UTF_8)).status());
        }
        It.assertError(d.send("PUT", "api/demo/session/attributes/part4", "text/plain",
                "y".repeat(15_000).getBytes(StandardCharsets.UTF_8)), 413, "session_too_large");

        jakarta.json.JsonObject kept = c.get("api/demo/session").json().getJsonObject("attributes");
        assertEquals(100, kept.size(), "nothing lost, nothing over the caps stored");
        assertEquals("small", kept.getString("a"));
        assertEquals(4, d.get("api/demo/session").json().getJsonObject("attributes").size());
    }

    @Test
    void theServerLog_neverContainsSessionIdsOrPasswords() {
        TestClient c = client();
        It.loginAdmin(c);
        c.post("api/counter");
        String cookie = c.cookies().get(It.COOKIE);
        String id = cookie.substring(0, cookie.indexOf('.'));
        c.post("api/auth/logout");
        client().postJson("api/auth/login", "{\"username\":\"" + It.ADMIN + "\",\"password\":\"Wrong-Secret-Password-99\"}");
        String log = instance.logText();
        assertFalse(log.contains(id.substring(4)), "a session id is in the log");
        assertFalse(log.contains(It.ADMIN_PASSWORD), "the admin password is in the log");
        assertFalse(log.contains("Wrong-Secret-Password-99"), "a tried password is in the log");
        assertFalse(log.contains(System.getenv("SESSION_SECRETS")), "the signing secret is in the log");
    }
}
