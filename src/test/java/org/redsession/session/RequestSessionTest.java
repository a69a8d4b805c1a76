package org.redsession.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redsession.session.RequestSession.CookieChange;
import org.redsession.session.RequestSession.Status;

/** The request-level session life cycle against an in-memory store that behaves like the Redis scripts. */
class RequestSessionTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final Duration ABSOLUTE = Duration.ofHours(8);
    private static final Duration TOUCH = Duration.ofSeconds(60);

    private MutableClock clock;
    private FakeStore store;
    private SessionIds ids;
    private RecordingEvents events;
    private SessionManager manager;

    @BeforeEach
    void setUp() {
        clock = new MutableClock(T0);
        store = new FakeStore(clock);
        byte[] secret = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        ids = new SessionIds(List.of(secret));
        events = new RecordingEvents();
        manager = new SessionManager(store, ids, new AttributeCodec(Map.of()),
                new SessionPolicy(IDLE, ABSOLUTE, TOUCH, 16384, 65536), events, clock, "__Host-SID");
    }

    /** Every write any test made: positive TTL that never reaches past the session's absolute deadline. */
    @AfterEach
    void everyWriteHadAPositiveTtlWithinTheAbsoluteDeadline() {
        for (FakeStore.Save save : store.saves) {
            SessionWrite w = save.write();
            assertTrue(w.ttlMillis() > 0, "ttl " + w.ttlMillis());
            if (save.absoluteDeadline() != null) {
                assertTrue(save.at() + w.ttlMillis() <= save.absoluteDeadline(),
                        "write at " + save.at() + " with ttl " + w.ttlMillis() + " outlives the absolute deadline "
                                + save.absoluteDeadline());
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private RequestSession request(String... cookies) {
        return manager.open(List.of(cookies));
    }

    /** Creates a stored session holding one attribute; returns its cookie value. */
    private String newStoredSession(String attribute, Object value) {
        RequestSession rs = request();
        rs.getOrCreate().setAttribute(attribute, value);
        CookieChange change = rs.commit();
        return assertInstanceOf(CookieChange.Set.class, change).value();
    }

    private String idOf(String cookie) {
        return ids.verify(cookie).orElseThrow();
    }

    private SessionKey keyOf(String cookie) {
        return ids.keyOf(idOf(cookie));
    }

    private void advance(Duration d) {
        clock.advance(d.toMillis());
    }

    // ---- cookies --------------------------------------------------------------------------------------------

    @Test
    void noCookie_isNoSession_withoutAnyStoreCall() {
        RequestSession rs = request();
        assertEquals(Status.NO_SESSION, rs.status());
        assertNull(rs.current());
        assertFalse(rs.cookieRejected());
        assertInstanceOf(CookieChange.None.class, rs.commit());
        assertEquals(0, store.calls());
    }

    @Test
    void forgedCookie_isRejected_withoutAnyStoreCall() {
        String cookie = newStoredSession("a", "b");
        store.resetCounts();
        SessionIds attacker = new SessionIds(List.of("attacker-secret-attacker-secret!".getBytes(StandardCharsets.US_ASCII)));
        String forged = attacker.sign(idOf(cookie));

        RequestSession rs = request(forged);
        assertTrue(rs.cookieRejected());
        assertNull(rs.requestedId());
        assertEquals(Status.NO_SESSION, rs.status());
        assertNull(rs.current());
        assertFalse(rs.commit() instanceof CookieChange.Set);
        assertEquals(0, store.calls());
        assertEquals(1, events.cookieRejected.get());
    }

    @Test
    void malformedCookies_areRejected_withoutAnyStoreCall() {
        for (String bad : List.of("", "x", "a".repeat(8192), "../../etc/passwd", "%00")) {
            RequestSession rs = request(bad);
            assertTrue(rs.cookieRejected(), bad);
            assertEquals(Status.NO_SESSION, rs.status());
        }
        assertEquals(0, store.calls());
    }

    @Test
    void twoSessionCookies_areBothRejected_evenWhenBothAreValid() {
        String first = newStoredSession("a", "1");
        String second = newStoredSession("a", "2");
        store.resetCounts();

        RequestSession rs = request(first, second);
        assertTrue(rs.cookieRejected());
        assertNull(rs.requestedId());
        assertEquals(Status.NO_SESSION, rs.status());
        rs.commit();
        assertEquals(0, store.calls());
    }

    // ---- creation -------------------------------------------------------------------------------------------

    @Test
    void newSessionThatReceivesNoAttribute_isNeverSaved_andSetsNoCookie() {
        RequestSession rs = request();
        SessionState s = rs.getOrCreate();
        assertTrue(s.isNew());
        s.markAccessed();
        s.getAttribute("nothing");
        assertInstanceOf(CookieChange.None.class, rs.commit());
        assertEquals(0, store.calls());
        assertTrue(store.hashes.isEmpty());
    }

    @Test
    void setAttributeOnNewSession_savesOnceWithCreate_andSetsTheCookie() {
        RequestSession rs = request();
        SessionState s = rs.getOrCreate();
        s.setAttribute("cart", "3 items");
        CookieChange change = rs.commit();

        assertEquals(1, store.saveCount);
        assertEquals(0, store.loadCount);
        SessionWrite w = store.saves.get(0).write();
        assertTrue(w.create());
        assertNull(w.retiredKey());
        assertEquals(ids.keyOf(s.id()), w.key());
        assertEquals("s:3 items", w.set().get("a:cart"));
        assertEquals(Long.toString(T0), w.set().get(Fields.CREATED));
        assertEquals(Long.toString(T0 + ABSOLUTE.toMillis()), w.set().get(Fields.ABSOLUTE_DEADLINE));
        assertEquals(Long.toString(T0), w.set().get(Fields.LAST_ACCESS));
        assertEquals(IDLE.toMillis(), w.ttlMillis());

        String value = assertInstanceOf(CookieChange.Set.class, change).value();
        assertEquals(Optional.of(s.id()), ids.verify(value));
        assertFalse(store.hashes.keySet().stream().anyMatch(k -> k.hash().contains(s.id()) || k.tag().length() != 4));

        RequestSession next = request(value);
        assertEquals(Status.ANONYMOUS, next.status());
        assertEquals("3 items", next.current().getAttribute("cart"));
    }

    @Test
    void validCookieOfUnknownSession_isEndedAsExpired_andTheCookieIsCleared() {
        String id = ids.newId();
        RequestSession rs = request(ids.sign(id));
        assertEquals(Status.ENDED, rs.status());
        assertEquals("expired", rs.goneReason());
        assertInstanceOf(CookieChange.Clear.class, rs.commit());
        assertEquals(1, store.loadCount);
        assertEquals(0, store.saveCount);
    }

    // ---- reads and touches ----------------------------------------------------------------------------------

    @Test
    void loadedSessionThatIsOnlyRead_isNotSavedWithinTheTouchInterval() {
        String cookie = newStoredSession("name", "Ada");
        store.resetCounts();
        advance(TOUCH.minusMillis(1));

        RequestSession rs = request(cookie);
        SessionState s = rs.current();
        assertEquals("Ada", s.getAttribute("name"));
        assertEquals(Set.of("name"), s.getAttributeNames());
        s.markAccessed();
        assertInstanceOf(CookieChange.None.class, rs.commit());

        assertEquals(1, store.loadCount);
        assertEquals(0, store.saveCount);
    }

    @Test
    void markAccessedAfterTheTouchInterval_savesOnlyTheLastAccessTime() {
        String cookie = newStoredSession("name", "Ada");
        store.resetCounts();
        advance(TOUCH);

        RequestSession rs = request(cookie);
        rs.current().getAttribute("name");
        rs.current().markAccessed();
        assertInstanceOf(CookieChange.None.class, rs.commit());

        assertEquals(1, store.saveCount);
        SessionWrite w = store.saves.get(0).write();
        assertFalse(w.create());
        assertNull(w.retiredKey());
        assertEquals(Map.of(Fields.LAST_ACCESS, Long.toString(clock.millis())), w.set());
        assertTrue(w.remove().isEmpty());
        assertTrue(w.increments().isEmpty());
        assertEquals(IDLE.toMillis(), w.ttlMillis());
    }

    @Test
    void sessionNotMarkedAccessed_isNotTouched_evenAfterTheTouchInterval() {
        String cookie = newStoredSession("name", "Ada");
        store.resetCounts();
        advance(Duration.ofMinutes(5));

        RequestSession rs = request(cookie);
        assertEquals("Ada", rs.current().getAttribute("name"));
        rs.commit();
        assertEquals(0, store.saveCount);
    }

    @Test
    void readingAnAttribute_neverWritesItBack_andOtherRequestsSeeTheStoredValue() {
        String cookie = newStoredSession("greeting", "hello");
        SessionKey key = keyOf(cookie);
        advance(TOUCH.multipliedBy(2));
        store.resetCounts();

        RequestSession first = request(cookie);
        Object value = first.current().getAttribute("greeting");
        assertEquals("hello", value);
        first.current().markAccessed();
        first.commit();

        // Only the access time went back to the store, never the attribute that was read.
        assertEquals(1, store.saveCount);
        assertEquals(Set.of(Fields.LAST_ACCESS), store.saves.get(0).write().set().keySet());
        assertEquals("s:hello", store.hashes.get(key).get("a:greeting"));
        assertEquals("hello", request(cookie).current().getAttribute("greeting"));
    }

    @Test
    void mutableValues_cannotBeStored_soInPlaceChangesCannotGoUnnoticed() {
        RequestSession rs = request();
        SessionState s = rs.getOrCreate();
        assertThrows(IllegalArgumentException.class, () -> s.setAttribute("list", new ArrayList<>(List.of("a"))));
        assertThrows(IllegalArgumentException.class, () -> s.setAttribute("map", new HashMap<>()));
        assertThrows(IllegalArgumentException.class, () -> s.setAttribute("sb", new StringBuilder("x")));
        assertNull(s.getAttribute("list"));
        assertInstanceOf(CookieChange.None.class, rs.commit());
        assertEquals(0, store.saveCount);
    }

    @Test
    void attributeChangedInOneRequest_isSeenByTheNext_andAnUnchangedOneKeepsItsValue() {
        String cookie = newStoredSession("a", "one");
        RequestSession rs = request(cookie);
        rs.current().setAttribute("b", 2);
        rs.current().removeAttribute("a");
        assertInstanceOf(CookieChange.None.class, rs.commit());

        SessionWrite w = store.saves.get(store.saves.size() - 1).write();
        assertEquals(Set.of("a:a"), w.remove());
        assertEquals("i:2", w.set().get("a:b"));

        SessionState next = request(cookie).current();
        assertNull(next.getAttribute("a"));
        assertEquals(2, next.getAttribute("b"));
        assertEquals(Set.of("b"), next.getAttributeNames());
    }

    // ---- login / change id ----------------------------------------------------------------------------------

    @Test
    void loginOnExistingSession_rotatesTheId_tombstonesTheOldKey_andStoresIdentityAndCsrfToken() {
        String oldCookie = newStoredSession("cart", "3 items");
        String oldId = idOf(oldCookie);
        SessionKey oldKey = ids.keyOf(oldId);
        store.resetCounts();

        RequestSession rs = request(oldCookie);
        SessionState s = rs.login("alice", Set.of("user", "admin"));
        CookieChange change = rs.commit();

        String newCookie = assertInstanceOf(CookieChange.Set.class, change).value();
        String newId = idOf(newCookie);
        assertNotEquals(oldId, newId);
        assertEquals(newId, s.id());
        assertEquals(oldId.substring(0, 4), newId.substring(0, 4), "the slot tag survives rotation");
        SessionKey newKey = ids.keyOf(newId);

        assertEquals(1, store.saveCount);
        SessionWrite w = store.saves.get(0).write();
        assertFalse(w.create());
        assertEquals(oldKey, w.retiredKey());
        assertEquals(newKey, w.key());

        assertFalse(store.hashes.containsKey(oldKey));
        assertEquals("rotated", store.tombstones.get(oldKey));
        Map<String, String> stored = store.hashes.get(newKey);
        assertEquals("alice", stored.get(Fields.USER));
        assertEquals("admin,user", stored.get(Fields.ROLES));
        assertNotNull(stored.get(Fields.CSRF));
        assertTrue(stored.get(Fields.CSRF).length() >= 43);
        assertEquals("s:3 items", stored.get("a:cart"), "attributes move with the session");

        RequestSession withNew = request(newCookie);
        assertEquals(Status.AUTHENTICATED, withNew.status());
        assertEquals(new SessionIdentity("alice", Set.of("user", "admin")), withNew.identity().orElseThrow());
        assertEquals(stored.get(Fields.CSRF), withNew.current().csrfToken());
        assertEquals("3 items", withNew.current().getAttribute("cart"));

        RequestSession withOld = request(oldCookie);
        assertEquals(Status.ENDED, withOld.status());
        assertEquals("rotated", withOld.goneReason());
        // Not cleared: a request that raced the sign-in must not wipe the new cookie the browser may already hold.
        assertInstanceOf(CookieChange.None.class, withOld.commit());
    }

    @Test
    void loginTwice_issuesANewCsrfTokenEachTime() {
        RequestSession first = request();
        first.login("alice", Set.of("user"));
        String cookie1 = assertInstanceOf(CookieChange.Set.class, first.commit()).value();
        String token1 = request(cookie1).current().csrfToken();

        RequestSession second = request(cookie1);
        second.login("alice", Set.of("user"));
        String cookie2 = assertInstanceOf(CookieChange.Set.class, second.commit()).value();
        String token2 = request(cookie2).current().csrfToken();
        assertNotNull(token1);
        assertNotEquals(token1, token2);
    }

    @Test
    void loginWithoutSession_createsOne() {
        RequestSession rs = request();
        SessionState s = rs.login("bob", Set.of());
        CookieChange change = rs.commit();

        String cookie = assertInstanceOf(CookieChange.Set.class, change).value();
        assertEquals(Optional.of(s.id()), ids.verify(cookie));
        assertEquals(1, store.saveCount);
        SessionWrite w = store.saves.get(0).write();
        assertTrue(w.create());
        assertEquals("bob", w.set().get(Fields.USER));
        assertNotNull(w.set().get(Fields.CSRF));

        RequestSession next = request(cookie);
        assertEquals(Status.AUTHENTICATED, next.status());
        assertEquals("bob", next.identity().orElseThrow().username());
    }

    @Test
    void loginWithEndedSessionCookie_createsAFreshSession() {
        String cookie = newStoredSession("a", "b");
        RequestSession logout = request(cookie);
        logout.invalidate("logout");
        logout.commit();

        RequestSession rs = request(cookie);
        rs.login("carol", Set.of("user"));
        String fresh = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        assertNotEquals(idOf(cookie), idOf(fresh));
        assertEquals("logout", store.tombstones.get(keyOf(cookie)));
        assertEquals(Status.AUTHENTICATED, request(fresh).status());
        assertEquals(Status.ENDED, request(cookie).status());
    }

    @Test
    void changeIdThenInvalidateInTheSameRequest_endsTheStoredSession() {
        String cookie = newStoredSession("a", "b");
        SessionKey storedKey = keyOf(cookie);

        RequestSession rs = request(cookie);
        rs.changeId();
        rs.invalidate("logout");
        assertInstanceOf(CookieChange.Clear.class, rs.commit());

        assertFalse(store.hashes.containsKey(storedKey), "the session the cookie names is still in the store");
        RequestSession again = request(cookie);
        assertEquals(Status.ENDED, again.status(), "the old cookie still opens the session after logout");
    }

    // ---- invalidation ---------------------------------------------------------------------------------------

    @Test
    void invalidate_deletesAtOnce_commitClearsTheCookie_andAConcurrentRequestCannotResurrect() {
        String cookie = newStoredSession("a", "b");
        SessionKey key = keyOf(cookie);
        store.resetCounts();

        RequestSession concurrent = request(cookie);
        assertEquals(Status.ANONYMOUS, concurrent.status()); // loaded before the logout

        RequestSession logout = request(cookie);
        logout.invalidate("logout");
        assertEquals(1, store.deleteCount, "deleted when invalidate() is called, not at commit");
        assertNull(logout.current());
        assertInstanceOf(CookieChange.Clear.class, logout.commit());
        assertEquals(1, store.deleteCount);
        assertFalse(store.hashes.containsKey(key));
        assertEquals("logout", store.tombstones.get(key));

        concurrent.current().setAttribute("late", "write");
        // Nothing is written and the cookie is left alone; the next request with it learns why the session ended.
        assertInstanceOf(CookieChange.None.class, concurrent.commit());
        assertFalse(store.hashes.containsKey(key), "the session was written back after logout");

        RequestSession later = request(cookie);
        assertEquals(Status.ENDED, later.status());
        assertEquals("logout", later.goneReason());
    }

    @Test
    void invalidatedSession_refusesFurtherUse() {
        String cookie = newStoredSession("a", "b");
        RequestSession rs = request(cookie);
        SessionState s = rs.current();
        rs.invalidate("invalidated");
        assertTrue(s.isInvalidated());
        assertThrows(IllegalStateException.class, () -> s.setAttribute("x", "y"));
        assertThrows(IllegalStateException.class, () -> s.getAttribute("a"));
    }

    // ---- increments -----------------------------------------------------------------------------------------

    @Test
    void incrementTwiceFromTwoRequestsOnTheSameCookie_gives1And2_andBothSeeTheStoredValue() {
        String cookie = newStoredSession("a", "b");
        SessionKey key = keyOf(cookie);
        store.resetCounts();

        RequestSession a = request(cookie);
        RequestSession b = request(cookie);
        a.current();
        b.current();

        assertEquals(1L, a.increment("hits", 1));
        assertEquals(2L, b.increment("hits", 1));
        assertEquals("2", store.hashes.get(key).get("a:hits"));

        assertEquals(1L, a.current().getAttribute("hits"), "a sees the value its own increment stored");
        assertEquals(2L, b.current().getAttribute("hits"), "b sees the value its own increment stored");
        assertInstanceOf(CookieChange.None.class, a.commit());
        assertInstanceOf(CookieChange.None.class, b.commit());
        assertEquals(2, store.saveCount, "one round trip per increment, nothing more at commit");

        assertEquals(2L, request(cookie).current().getAttribute("hits"));
    }

    @Test
    void incrementOfAnIntegerAttribute_staysAnInteger() {
        String cookie = newStoredSession("count", 41);
        RequestSession rs = request(cookie);
        rs.current();
        assertEquals(42L, rs.increment("count", 1));
        Object value = request(cookie).current().getAttribute("count");
        assertEquals(Integer.valueOf(42), value);
    }

    @Test
    void incrementOnANewSession_createsItInTheSameWrite() {
        RequestSession rs = request();
        rs.getOrCreate();
        assertEquals(5L, rs.increment("n", 5));
        assertEquals(1, store.saveCount);
        assertTrue(store.saves.get(0).write().create());
        String cookie = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        assertEquals(1, store.saveCount);
        assertEquals(5L, request(cookie).current().getAttribute("n"));
    }

    // ---- deadlines ------------------------------------------------------------------------------------------

    @Test
    void idleDeadlinePassed_isEndedAsExpired_evenThoughTheStoreStillHasTheData() {
        String cookie = newStoredSession("a", "b");
        SessionKey key = keyOf(cookie);

        advance(IDLE.minusMillis(1));
        assertEquals(Status.ANONYMOUS, request(cookie).status(), "one millisecond before the idle deadline");

        advance(Duration.ofMillis(2));
        RequestSession rs = request(cookie);
        assertEquals(Status.ENDED, rs.status());
        assertEquals("expired", rs.goneReason());
        assertNull(rs.current());
        assertTrue(store.hashes.containsKey(key), "the fake store's data is still there (its TTL is not simulated)");
        assertInstanceOf(CookieChange.Clear.class, rs.commit());
    }

    @Test
    void absoluteDeadlinePassed_isEnded_evenWhenTouchedEveryTenMinutes() {
        String cookie = newStoredSession("a", "b");
        long deadline = T0 + ABSOLUTE.toMillis();
        int touches = 0;
        while (clock.millis() + Duration.ofMinutes(10).toMillis() < deadline) {
            advance(Duration.ofMinutes(10));
            RequestSession rs = request(cookie);
            assertEquals(Status.ANONYMOUS, rs.status(), "at +" + (clock.millis() - T0) / 60_000 + " min");
            rs.current().markAccessed();
            rs.commit();
            touches++;
        }
        assertEquals(47, touches);
        assertEquals(1 + 47, store.saveCount, "each touch after the touch interval is written");
        SessionWrite last = store.saves.get(store.saves.size() - 1).write();
        assertEquals(deadline - clock.millis(), last.ttlMillis(), "the last touch's TTL stops at the absolute deadline");

        advance(Duration.ofMinutes(10));
        assertEquals(deadline, clock.millis());
        RequestSession rs = request(cookie);
        assertEquals(Status.ENDED, rs.status());
        assertEquals("expired", rs.goneReason());
    }

    @Test
    void writeTtl_isPositive_andNeverExtendsBeyondTheAbsoluteDeadline() {
        SessionManager shortLived = new SessionManager(store, ids, new AttributeCodec(Map.of()),
                new SessionPolicy(Duration.ofMinutes(30), Duration.ofMinutes(45), TOUCH, 16384, 65536),
                SessionEvents.NONE, clock, "__Host-SID");
        RequestSession first = shortLived.open(List.of());
        first.getOrCreate().setAttribute("a", 1);
        String cookie = assertInstanceOf(CookieChange.Set.class, first.commit()).value();
        long deadline = T0 + Duration.ofMinutes(45).toMillis();

        for (int minute : new int[] {10, 20, 30, 40, 44}) {
            clock.set(T0 + Duration.ofMinutes(minute).toMillis());
            RequestSession rs = shortLived.open(List.of(cookie));
            rs.current().setAttribute("m", minute);
            rs.commit();
        }
        clock.set(deadline - 1);
        RequestSession lastMs = shortLived.open(List.of(cookie));
        lastMs.current().setAttribute("m", -1);
        lastMs.commit();

        assertEquals(7, store.saveCount);
        for (FakeStore.Save save : store.saves) {
            assertTrue(save.write().ttlMillis() > 0);
            assertTrue(save.at() + save.write().ttlMillis() <= deadline,
                    "ttl " + save.write().ttlMillis() + " at +" + (save.at() - T0));
        }
        assertEquals(1, store.saves.get(6).write().ttlMillis());
    }

    // ---- unreadable and oversized attributes ----------------------------------------------------------------

    @Test
    void storedAttributeWithGarbageValue_isLeftOut_andTheSessionStaysUsable() {
        String cookie = newStoredSession("good", "fine");
        SessionKey key = keyOf(cookie);
        store.hashes.get(key).put("a:bad", "z:garbage");
        store.hashes.get(key).put("a:evil", "j:java.util.Date|{}");
        store.hashes.get(key).put("a:broken", "i:notanumber");

        RequestSession rs = request(cookie);
        SessionState s = rs.current();
        assertEquals(Set.of("good"), s.getAttributeNames());
        assertNull(s.getAttribute("bad"));
        assertNull(s.getAttribute("evil"));
        assertNull(s.getAttribute("broken"));
        assertEquals("fine", s.getAttribute("good"));
        assertTrue(events.quarantined.get() >= 3);

        s.setAttribute("more", 7);
        s.setAttribute("bad", "repaired");
        assertInstanceOf(CookieChange.None.class, rs.commit());
        assertEquals("i:7", store.hashes.get(key).get("a:more"));

        SessionState next = request(cookie).current();
        assertEquals(Set.of("good", "more", "bad"), next.getAttributeNames());
        assertEquals("repaired", next.getAttribute("bad"));
        assertEquals("j:java.util.Date|{}", store.hashes.get(key).get("a:evil"), "quarantined, not rewritten");
    }

    @Test
    void setAttributeBeyondMaxAttributeBytes_throws_andDoesNotChangeTheStoredState() {
        String cookie = newStoredSession("a", "old");
        SessionKey key = keyOf(cookie);
        Map<String, String> before = Map.copyOf(store.hashes.get(key));
        store.resetCounts();

        RequestSession rs = request(cookie);
        SessionState s = rs.current();
        s.setAttribute("fits", "x".repeat(16384 - 2));
        assertThrows(IllegalArgumentException.class, () -> s.setAttribute("a", "x".repeat(16384 - 1)));
        assertThrows(IllegalArgumentException.class, () -> s.setAttribute("b", "é".repeat(8192)),
                "the limit is in UTF-8 bytes, not chars");
        s.removeAttribute("fits");
        assertEquals("old", s.getAttribute("a"));
        assertNull(s.getAttribute("b"));
        assertInstanceOf(CookieChange.None.class, rs.commit());

        Map<String, String> after = store.hashes.get(key);
        assertEquals(before, after);
        assertEquals("old", request(cookie).current().getAttribute("a"));
    }

    @Test
    void setAttributeBeyondMaxSessionBytes_throws_andDoesNotWriteBackTheOldValue() {
        RequestSession create = request();
        SessionState c = create.getOrCreate();
        for (int i = 1; i <= 4; i++) {
            c.setAttribute("big" + i, Integer.toString(i).repeat(15000)); // 4 x 15 KB of the 64 KB budget
        }
        c.setAttribute("a", "old");
        String cookie = assertInstanceOf(CookieChange.Set.class, create.commit()).value();
        SessionKey key = keyOf(cookie);

        RequestSession slow = request(cookie);
        SessionState s = slow.current();

        RequestSession fast = request(cookie);
        fast.current().setAttribute("a", "new");
        fast.commit();
        assertEquals("s:new", store.hashes.get(key).get("a:a"));
        store.resetCounts();

        // 10 KB is under the per-attribute limit but takes the session over its 64 KB total.
        assertThrows(IllegalArgumentException.class, () -> s.setAttribute("a", "x".repeat(10000)));
        assertEquals("old", s.getAttribute("a"));
        slow.commit();

        assertEquals("s:new", store.hashes.get(key).get("a:a"),
                "a refused setAttribute wrote the request's stale value back over another request's change");
        assertEquals(0, store.saveCount, "nothing changed in this request, within the touch interval");
    }

    // ---- support --------------------------------------------------------------------------------------------

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        private long millis;

        MutableClock(long millis) {
            this.millis = millis;
        }

        void advance(long ms) {
            millis += ms;
        }

        void set(long ms) {
            millis = ms;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    static final class RecordingEvents implements SessionEvents {
        final AtomicInteger cookieRejected = new AtomicInteger();
        final AtomicInteger quarantined = new AtomicInteger();

        @Override
        public void cookieRejected() {
            cookieRejected.incrementAndGet();
        }

        @Override
        public void attributeQuarantined() {
            quarantined.incrementAndGet();
        }
    }

    /**
     * In-memory {@link SessionStore} with the semantics of the Redis scripts: create refuses an existing or
     * tombstoned session, update and rotate refuse a missing one (no resurrection), rotate moves every field and
     * tombstones the old key with "rotated", an "i:" value keeps its tag (a Long is a plain decimal) and anything else starts from 0, like save.lua.
     * TTLs are recorded, not enforced.
     */
    static final class FakeStore implements SessionStore {
        record Save(SessionWrite write, long at, Long absoluteDeadline) {
        }

        final Map<SessionKey, Map<String, String>> hashes = new HashMap<>();
        final Map<SessionKey, String> tombstones = new HashMap<>();
        final Map<SessionKey, Long> ttls = new HashMap<>();
        final List<Save> saves = new ArrayList<>();
        private final Clock clock;
        int loadCount;
        int saveCount;
        int deleteCount;

        FakeStore(Clock clock) {
            this.clock = clock;
        }

        int calls() {
            return loadCount + saveCount + deleteCount;
        }

        void resetCounts() {
            loadCount = 0;
            saveCount = 0;
            deleteCount = 0;
            saves.clear();
        }

        @Override
        public synchronized Loaded load(SessionKey key) {
            loadCount++;
            Map<String, String> h = hashes.get(key);
            if (h != null && !h.isEmpty()) {
                return Loaded.found(h);
            }
            return Loaded.gone(tombstones.get(key));
        }

        @Override
        public synchronized Optional<Map<String, String>> save(SessionWrite w) {
            saveCount++;
            Map<String, String> h;
            if (w.create()) {
                if (hashes.containsKey(w.key()) || tombstones.containsKey(w.key())) {
                    return record(w, Optional.empty());
                }
                h = new LinkedHashMap<>();
                hashes.put(w.key(), h);
            } else if (w.retiredKey() != null) {
                Map<String, String> old = hashes.remove(w.retiredKey());
                if (old == null) {
                    return record(w, Optional.empty());
                }
                tombstones.put(w.retiredKey(), "rotated");
                h = hashes.computeIfAbsent(w.key(), k -> new LinkedHashMap<>());
                h.putAll(old);
            } else {
                h = hashes.get(w.key());
                if (h == null) {
                    return record(w, Optional.empty());
                }
            }
            h.putAll(w.set());
            w.remove().forEach(h::remove);
            Map<String, String> out = new LinkedHashMap<>();
            w.increments().forEach((field, delta) -> {
                String current = h.get(field);
                String updated;
                if (current != null && current.startsWith("i:") && current.substring(2).matches("-?\\d+")) {
                    long value = Long.parseLong(current.substring(2)) + delta;
                    updated = value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE ? "i:" + value : Long.toString(value);
                } else {
                    long value = current != null && current.matches("-?\\d+") ? Long.parseLong(current) : 0;
                    updated = Long.toString(value + delta);
                }
                h.put(field, updated);
                out.put(field, updated);
            });
            ttls.put(w.key(), w.ttlMillis());
            return record(w, Optional.of(out));
        }

        private Optional<Map<String, String>> record(SessionWrite w, Optional<Map<String, String>> result) {
            Map<String, String> h = hashes.get(w.key());
            Long deadline = h == null || h.get(Fields.ABSOLUTE_DEADLINE) == null ? null
                    : Long.valueOf(h.get(Fields.ABSOLUTE_DEADLINE));
            saves.add(new Save(w, clock.millis(), deadline));
            return result;
        }

        @Override
        public synchronized boolean delete(SessionKey key, String reason) {
            deleteCount++;
            boolean existed = hashes.remove(key) != null;
            tombstones.put(key, reason);
            return existed;
        }
    }
}
