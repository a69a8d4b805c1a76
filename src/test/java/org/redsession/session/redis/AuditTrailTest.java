package org.redsession.session.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redsession.session.AttributeCodec;
import org.redsession.session.AuditEvent;
import org.redsession.session.RequestSession;
import org.redsession.session.SessionEvents;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionPolicy;
import org.redsession.session.UserRef;
import org.redsession.testsupport.RedisMonitor;
import org.redsession.testsupport.RedisServer;

/**
 * The audit trail, end to end through the session layer ({@link SessionManager}, {@link RequestSession}) on a real
 * redis-server: which events are recorded, by which script, with what; new-device marking; the bounds; and that the
 * requests of an ordinary session write nothing to it.
 */
class AuditTrailTest {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final String FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    private static final String SAFARI_IOS = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            + "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

    private static RedisServer redis;
    private static RedissonClient client;

    private final SessionIds ids = new SessionIds(List.of("audit-test-secret-0123456789abcdef".getBytes(
            StandardCharsets.US_ASCII)));
    private String prefix;
    private RedissonSessionStore store;
    private SessionManager manager;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        client = TestRedisson.client(redis);
    }

    @AfterAll
    static void stopRedis() {
        TestRedisson.stop(client, redis);
    }

    @BeforeEach
    void newPrefix() {
        prefix = "aud" + PREFIXES.incrementAndGet() + ":";
        use(10, 50, 3_600_000L);
    }

    private void use(int maxPerUser, int maxEvents, long ttlMillis) {
        store = new RedissonSessionStore(client, prefix, 120_000, 8 * 3_600_000L, maxPerUser);
        store.useAuditTrail(maxEvents, ttlMillis);
        manager = new SessionManager(store, ids, new AttributeCodec(Map.of()),
                new SessionPolicy(Duration.ofMinutes(30), Duration.ofHours(8), Duration.ofSeconds(60), 16384, 65536),
                SessionEvents.NONE, Clock.systemUTC(), "__Host-SID");
    }

    /** Signs alice in on a new browser; returns the signed cookie value. */
    private String signIn(String user, String address, String agent) {
        RequestSession rs = manager.open(List.of());
        rs.login(user, Set.of("user"), address, agent);
        RequestSession.CookieChange c = rs.commit();
        return ((RequestSession.CookieChange.Set) c).value();
    }

    private RequestSession request(String cookie) {
        return manager.open(List.of(cookie));
    }

    private String trailKey(String user) {
        UserRef u = ids.userRef(user);
        return prefix + "t:{" + u.tag() + "}" + user;
    }

    private String handleOf(String cookie) {
        RequestSession rs = request(cookie);
        return SessionManager.handleOf(rs.current().key());
    }

    @Test
    void signIns_areRecordedWithTheirDevice_andASignInFromAnUnseenNetworkOrBrowserIsMarkedNew() {
        String first = signIn("alice", "198.51.100.7", FIREFOX);
        String sameDevice = signIn("alice", "198.51.100.99", FIREFOX); // same /24, same family, another version
        String otherNetwork = signIn("alice", "203.0.113.5", FIREFOX);
        String otherBrowser = signIn("alice", "198.51.100.7", SAFARI_IOS);

        List<AuditEvent> trail = manager.activity("alice");
        assertEquals(4, trail.size(), "one event per sign-in: " + trail);
        assertTrue(trail.stream().allMatch(e -> AuditEvent.SIGN_IN.equals(e.event())));
        // Newest first.
        assertEquals(List.of(handleOf(otherBrowser), handleOf(otherNetwork), handleOf(sameDevice), handleOf(first)),
                trail.stream().map(AuditEvent::handle).toList());
        assertEquals(List.of(true, true, false, false), trail.stream().map(AuditEvent::newDevice).toList(),
                "the first sign-in has nothing to compare with; the same /24 and browser family is no new device");
        AuditEvent oldest = trail.get(3);
        assertEquals("198.51.100.0/24", oldest.network());
        assertEquals("Firefox on Linux", oldest.agent());
        assertEquals("Safari on iOS", trail.get(0).agent());
        assertEquals(AuditEvent.THIS_INSTANCE, oldest.instance());
        assertNull(oldest.actor());
        // Never the session id, the whole address or the whole User-Agent in Redis.
        for (Object stored : client.getList(trailKey("alice")).readAll()) {
            String s = String.valueOf(stored);
            for (String cookie : List.of(first, sameDevice, otherNetwork, otherBrowser)) {
                assertFalse(s.contains(cookie) || s.contains(cookie.substring(0, cookie.indexOf('.') > 0
                        ? cookie.indexOf('.') : cookie.length())), "a session id in " + s);
            }
            assertFalse(s.contains("198.51.100.7") || s.contains("rv:128.0"), s);
        }
    }

    @Test
    void signOut_rotation_revocations_andFailedSignIns_areRecorded_withWhoDidIt() {
        String a = signIn("alice", "198.51.100.7", FIREFOX);
        String b = signIn("alice", "198.51.100.8", FIREFOX);
        String c = signIn("alice", "198.51.100.9", FIREFOX);
        String hb = handleOf(b);
        String hc = handleOf(c);

        RequestSession out = request(a);
        out.invalidate("logout");
        out.commit();
        assertTrue(manager.revoke("alice", hb, "revoked", "root"));
        RequestSession rotating = request(c);
        rotating.changeId();
        rotating.commit();
        String rotatedHandle = SessionManager.handleOf(rotating.current().key());
        manager.revokeAll("alice", "revoked", "root");
        redis.call("HSET", prefix + "a:{" + ids.userRef("alice").tag() + "}alice", "pw", "x");
        manager.recordFailedSignIn("alice", "192.0.2.1", SAFARI_IOS);
        manager.recordFailedSignIn("mallory", "192.0.2.1", SAFARI_IOS); // no such account

        List<AuditEvent> trail = manager.activity("alice");
        List<String> events = trail.stream().map(AuditEvent::event).toList();
        assertEquals(List.of(AuditEvent.SIGN_IN_FAILED, AuditEvent.ALL_REVOKED, AuditEvent.ROTATED, AuditEvent.REVOKED,
                AuditEvent.SIGN_OUT, AuditEvent.SIGN_IN, AuditEvent.SIGN_IN, AuditEvent.SIGN_IN), events);
        assertEquals("192.0.2.0/24", trail.get(0).network());
        assertEquals("Safari on iOS", trail.get(0).agent());
        assertEquals("root", trail.get(1).actor());
        assertEquals("revoked", trail.get(1).reason());
        assertEquals(rotatedHandle, trail.get(2).handle());
        assertFalse(hc.equals(rotatedHandle));
        assertEquals(hb, trail.get(3).handle());
        assertEquals("root", trail.get(3).actor());
        assertEquals("logout", trail.get(4).reason());
        assertEquals(0L, redis.call("EXISTS", trailKey("mallory")), "a name that is no account leaves no trail");
    }

    @Test
    void aSignInBeyondThePerUserLimit_recordsTheEvictionsItChose_andAPasswordChangeRecordsTheRevocation() {
        use(2, 50, 3_600_000L);
        String first = signIn("alice", "198.51.100.7", FIREFOX);
        String oldest = handleOf(first);
        signIn("alice", "198.51.100.7", FIREFOX);
        String third = signIn("alice", "198.51.100.7", FIREFOX);

        List<AuditEvent> trail = manager.activity("alice");
        assertEquals(AuditEvent.EVICTED, trail.get(0).event(), "recorded by the sign-in's own script: " + trail);
        assertEquals(oldest, trail.get(0).handle());
        assertEquals("system", trail.get(0).actor());
        assertEquals(4, trail.size());

        RequestSession change = request(third);
        change.revokeOthers("password_changed");
        change.commit();
        AuditEvent last = manager.activity("alice").get(0);
        assertEquals(AuditEvent.ALL_REVOKED, last.event());
        assertEquals("password_changed", last.reason());
        assertNull(last.actor(), "done by the user");
    }

    @Test
    void aDamagedSessionRecord_isRecordedAsEndedInvalid() {
        String cookie = signIn("alice", "198.51.100.7", FIREFOX);
        String handle = handleOf(cookie);
        UserRef u = ids.userRef("alice");
        redis.call("HDEL", prefix + "s:{" + u.tag() + "}" + handle, "#c");
        RequestSession rs = request(cookie);
        assertNull(rs.current());
        AuditEvent last = manager.activity("alice").get(0);
        assertEquals(AuditEvent.ENDED, last.event());
        assertEquals("invalid", last.reason());
        assertEquals(handle, last.handle());
    }

    @Test
    void theTrail_keepsTheNewestEvents_expiresWithItsAge_andOrdinaryRequestsWriteNothingToIt() {
        use(10, 5, 60_000);
        List<String> cookies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            cookies.add(signIn("alice", "198.51.100." + i, FIREFOX));
        }
        assertEquals(5L, redis.call("LLEN", trailKey("alice")));
        long pttl = redis.ttl(trailKey("alice"));
        assertTrue(pttl > 0 && pttl <= 60_000, "PTTL " + pttl);
        assertEquals(handleOf(cookies.get(7)), manager.activity("alice").get(0).handle());

        // Reads and counter increments of a signed-in session: one script each, none touching the trail.
        String cookie = cookies.get(7);
        try (RedisMonitor monitor = RedisMonitor.start(redis.port())) {
            List<RedisMonitor.Command> sent = monitor.during(() -> {
                for (int i = 0; i < 5; i++) {
                    RequestSession rs = request(cookie);
                    rs.increment("n", 1);
                    rs.commit();
                }
            });
            assertEquals(10, RedisMonitor.roundTrips(sent), "a load and an increment per request");
            assertTrue(sent.stream().noneMatch(c -> c.line().contains(trailKey("alice"))),
                    "the trail touched by ordinary requests");
        }
        assertEquals(5L, redis.call("LLEN", trailKey("alice")));

        // Trails off: nothing stored.
        use(10, 0, 60_000);
        signIn("bob", "198.51.100.1", FIREFOX);
        assertEquals(0L, redis.call("EXISTS", trailKey("bob")));
        assertEquals(List.of(), manager.activity("bob"));
    }

    /**
     * Memory per event (docs/performance.md): a full trail of typical events, measured by Redis' MEMORY USAGE, per
     * event; printed for the docs, and bounded so that a change that bloats the record fails here.
     */
    @Test
    void aFullTrail_costsAtMostTwoHundredBytesPerEvent() {
        use(10, 50, 30L * 24 * 3_600_000L);
        for (int i = 0; i < 25; i++) {
            String cookie = signIn("alice", "198.51.100." + i, i % 2 == 0 ? FIREFOX : SAFARI_IOS);
            RequestSession out = request(cookie);
            out.invalidate("logout");
            out.commit();
        }
        assertEquals(50L, redis.call("LLEN", trailKey("alice")));
        long bytes = ((Number) redis.call("MEMORY", "USAGE", trailKey("alice"), "SAMPLES", "0")).longValue();
        long perEvent = bytes / 50;
        System.out.println("audit trail memory: " + bytes + " B for 50 events (sign-ins and sign-outs), " + perEvent
                + " B per event");
        assertTrue(perEvent <= 200, perEvent + " B per event");
    }
}
