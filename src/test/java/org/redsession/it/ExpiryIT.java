package org.redsession.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.TestClient;

/**
 * Idle and absolute expiry with short timeouts (idle 3 s, absolute 8 s, no touch throttling, a sweep every 2 s), on
 * a Payara Micro launched with that configuration against a Redis of its own: the expiry sweep of any other instance
 * on the suite's Redis could otherwise announce this instance's sessions.
 */
class ExpiryIT {
    static RedisServer redis;
    static PayaraMicro instance;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
        instance = PayaraMicro.builder().name("short-timeouts")
                .env("REDIS_URL", redis.url())
                .env("SESSION_IDLE_TIMEOUT", "PT3S")
                .env("SESSION_ABSOLUTE_TIMEOUT", "PT8S")
                .env("SESSION_TOUCH_INTERVAL", "PT0S")
                .env("SESSION_SWEEP_INTERVAL", "PT2S")
                .env("APP_DEMO_LOG_SESSION_EVENTS", "true") // a log line per ended session, to count announcements
                .start();
    }

    @AfterAll
    static void stop() {
        if (instance != null) {
            instance.stop();
        }
        if (redis != null) {
            redis.stop();
        }
    }

    @Test
    void idleSession_expires_andAnswersSessionExpired() {
        TestClient client = new TestClient(instance.base());
        // Measured from before the sign-in: the idle deadline counts from the sign-in request's start on the server,
        // and a sign-in (PBKDF2) can take a while on a loaded machine.
        long start = System.nanoTime();
        It.loginAdmin(client);
        assertEquals(200, client.get("api/me").status());
        // GET /api/me is read-only and does not extend the idle deadline.
        Poll.until(Duration.ofSeconds(15), "idle expiry", () -> client.get("api/me").status() == 401);
        Duration lived = Duration.ofNanos(System.nanoTime() - start);
        It.assertError(client.last(), 401, "session_expired");
        assertTrue(lived.toMillis() >= 2_900, () -> "expired too early: " + lived);
        assertTrue(lived.toMillis() <= 8_000, () -> "expired too late: " + lived);
    }

    private static long expiredCount() {
        return (long) new TestClient(instance.base()).get("metrics?scope=application").body().lines()
                .filter(l -> l.startsWith("sessions_expired_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** How often the demo listener logged sessionDestroyed for this hash (any hash when null). */
    private static long destroyedLines(String hash) {
        String line = "Demo listener: sessionDestroyed " + (hash == null ? "" : hash);
        return instance.logText().lines().filter(l -> l.contains(line)).count();
    }

    @Test
    void expiry_isAnnouncedAndCountedOnceByTheSweep_whetherOrNotTheCookieComesBack_withoutKeyspaceNotifications() {
        // One client never comes back: only the sweep can notice that its session expired. The other comes back
        // after its deadline (401 session_expired), which is not a second announcement and not a second count.
        TestClient gone = new TestClient(instance.base());
        It.loginAdmin(gone);
        String goneHash = ExpiryEventsIT.shortHash(ExpiryEventsIT.currentHandle(gone));
        TestClient back = new TestClient(instance.base());
        It.loginAdmin(back);
        String backHash = ExpiryEventsIT.shortHash(ExpiryEventsIT.currentHandle(back));
        Poll.until(Duration.ofSeconds(10), "the idle session is reported expired", () -> back.get("api/me").status() == 401);
        It.assertError(back.last(), 401, "session_expired");

        // Announced within about 30 s (the bucket of its deadline) + 2 s + the sweep interval after the deadline.
        Poll.until(Duration.ofSeconds(3 + 30 + 2 + 2 + 20), "the sweep announced both expired sessions",
                () -> destroyedLines(goneHash) > 0 && destroyedLines(backHash) > 0);
        assertEquals(1, destroyedLines(goneHash), "announcements of the session whose cookie never came back");
        assertEquals(1, destroyedLines(backHash), "announcements of the session whose cookie came back");
        // No test here signs out: every sessionDestroyed of this instance is an expiry its sweep announced, and each
        // is counted once (the counter grows just before the listeners run, so an announcement may be under way).
        Poll.until(Duration.ofSeconds(10), "sessions_expired_total equals the expiries announced",
                () -> expiredCount() == destroyedLines(null));

        String events = String.valueOf(redis.call("CONFIG", "GET", "notify-keyspace-events"));
        assertTrue(!events.contains("E") && !events.contains("x"), () -> "keyspace notifications are off: " + events);
    }

    /**
     * Acting through the session keeps it alive: an administrator whose requests change other things (here: ending
     * the sessions of a user that does not exist, 404) but never the own session is not signed out at the idle
     * timeout (found by NearCacheIT's long run: its admin session ended after 30 minutes of such requests).
     */
    @Test
    void unsafeRequestsThatDoNotWriteTheSession_stillCountAsActivity() {
        TestClient client = new TestClient(instance.base());
        long start = System.nanoTime();
        It.loginAdmin(client);
        // Twice the 3 s idle timeout, within the 8 s absolute one.
        while (Duration.ofNanos(System.nanoTime() - start).toMillis() < 6_000) {
            TestClient.Res res = client.delete("api/admin/users/nobody-here/sessions");
            assertEquals(404, res.status(), () -> "after " + Duration.ofNanos(System.nanoTime() - start).toMillis()
                    + " ms: " + res);
        }
        assertEquals(200, client.get("api/me").status(), "the session outlived its idle timeout by being used");
    }

    @Test
    void busySession_stillEndsAtTheAbsoluteDeadline() {
        TestClient client = new TestClient(instance.base());
        long start = System.nanoTime(); // before the sign-in, whose start on the server begins the absolute lifetime
        It.loginAdmin(client);
        // Keep it busy: GET /api/session refreshes the idle deadline every 200 ms or so, well inside the 3 s idle timeout.
        Poll.until(Duration.ofSeconds(20), "absolute expiry", () -> {
            TestClient.Res res = client.get("api/session");
            long elapsed = Duration.ofNanos(System.nanoTime() - start).toMillis();
            if (res.status() == 200) {
                return false;
            }
            assertTrue(elapsed >= 7_000, "ended before the absolute deadline, after " + elapsed + " ms: " + res);
            return true;
        });
        Duration lived = Duration.ofNanos(System.nanoTime() - start);
        It.assertError(client.last(), 401, "session_expired");
        assertTrue(lived.toMillis() > 5_000, () -> "the activity kept it beyond the idle timeout: " + lived);
        assertTrue(lived.toMillis() <= 12_000, () -> "absolute deadline not enforced: " + lived);
    }
}
