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

    /**
     * Every write any test made: positive TTL that never reaches past the session's absolute deadline, which is
     * derived from the creation time and never stored.
     */
    @AfterEach
    void everyWriteHadAPositiveTtlWithinTheAbsoluteDeadline() {
        for (FakeStore.Save save : store.saves) {
            SessionWrite w = save.write();
            assertTrue(w.ttlMillis() > 0, "ttl " + w.ttlMillis());
            assertFalse(w.set().containsKey(Fields.ABSOLUTE_DEADLINE), "the absolute deadline was stored: " + w.set());
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

    /** Like {@link #newStoredSession}, in a slot other than the user's (so a sign-in has to move it). */
    private String newStoredSessionOutsideTheSlotOf(UserRef user, String attribute, Object value) {
        while (true) {
            String cookie = newStoredSession(attribute, value);
            if (!ids.keyOf(idOf(cookie)).tag().equals(user.tag())) {
                return cookie;
            }
        }
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

    // ---- the session-creation limit ---------------------------------------------------------------------------

    @Test
    void damagedMetadata_isRecognised_soTheSessionIsEndedNotReadAsNew() {
        long now = 1_800_000_000_000L;
        Map<String, String> sound = Map.of(Fields.CREATED, Long.toString(now - 60_000), Fields.DEADLINE,
                Long.toString(now + 60_000), Fields.AUTH_TIME, Long.toString(now - 60_000), Fields.MAX_INACTIVE, "1800");
        assertNull(SessionState.damage(sound, now));
        for (Map.Entry<String, String> damage : List.of(Map.entry(Fields.CREATED, "x"), Map.entry(Fields.CREATED, "0"),
                Map.entry(Fields.CREATED, Long.toString(now + 3_600_000)), Map.entry(Fields.DEADLINE, "soon"),
                Map.entry(Fields.DEADLINE, Long.toString(now - 120_000)), Map.entry(Fields.AUTH_TIME, "-"),
                Map.entry(Fields.LAST_ACCESS, "-1"), Map.entry(Fields.MAX_INACTIVE, "forever"))) {
            Map<String, String> stored = new HashMap<>(sound);
            stored.put(damage.getKey(), damage.getValue());
            assertNotNull(SessionState.damage(stored, now), damage::toString);
        }
        for (String missing : List.of(Fields.CREATED, Fields.DEADLINE)) {
            Map<String, String> stored = new HashMap<>(sound);
            stored.remove(missing);
            assertNotNull(SessionState.damage(stored, now), missing);
        }
    }

    @Test
    void aDamagedRecord_isEndedWithItsUsersIndex_unlessItNamesAUserOfAnotherSlot() {
        RequestSession login = request();
        login.login("alice", Set.of("user"), null, null);
        String alice = assertInstanceOf(CookieChange.Set.class, login.commit()).value();
        store.hashes.get(keyOf(alice)).put(Fields.CREATED, "x");
        RequestSession damaged = request(alice);
        assertNull(damaged.current());
        assertEquals("invalid", damaged.goneReason());
        assertEquals(ids.userRef("alice"), store.lastDeletedUser, "a signed-in record leaves its user's index too");

        // A record in another slot that names bob is forged or damaged: bob's keys are not touched (in a Redis
        // Cluster they would be in another slot, and the script refused with CROSSSLOT, again on every request).
        UserRef bob = ids.userRef("bob");
        String cookie = newStoredSessionOutsideTheSlotOf(bob, "x", 1);
        store.hashes.get(keyOf(cookie)).put(Fields.USER, "bob");
        store.hashes.get(keyOf(cookie)).put(Fields.CREATED, "x");
        RequestSession forged = request(cookie);
        assertNull(forged.current());
        assertEquals("invalid", forged.goneReason());
        assertNull(store.lastDeletedUser);
        assertFalse(store.hashes.containsKey(keyOf(cookie)), "the record itself is gone");
    }

    @Test
    void anAnonymousSession_isCreatedInItsClientsSlot_andCountedAgainstTheClient() {
        ClientRef client = ids.clientRef("203.0.113.7");
        RequestSession rs = request();
        rs.setClientAddress("203.0.113.7");
        rs.getOrCreate().setAttribute("cart", "3 items");
        String cookie = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        assertEquals(client.tag(), ids.keyOf(idOf(cookie)).tag(), "the session is in the client's slot");
        SessionWrite w = store.saves.get(0).write();
        assertEquals(client, w.creator());
        assertEquals(client.tag(), w.key().tag());

        // Another address: another counter (and, almost surely, another slot).
        assertNotEquals(client, ids.clientRef("203.0.113.8"));
        // Without a known client: a random slot and no limit.
        String unknown = newStoredSession("cart", "1 item");
        assertNull(store.saves.get(store.saves.size() - 1).write().creator());
        assertEquals(47, idOf(unknown).length());
    }

    @Test
    void beyondTheCreationLimit_nothingIsStored_noCookieIsSet_andTheRefusalIsCounted() {
        store.maxNewPerClient = 2;
        for (int i = 0; i < 2; i++) {
            RequestSession ok = request();
            ok.setClientAddress("198.51.100.1");
            ok.getOrCreate().setAttribute("n", i);
            assertInstanceOf(CookieChange.Set.class, ok.commit());
        }
        int stored = store.hashes.size();
        RequestSession refused = request();
        refused.setClientAddress("198.51.100.1");
        refused.getOrCreate().setAttribute("n", 3);
        TooManyNewSessionsException e = assertThrows(TooManyNewSessionsException.class, refused::commit);
        assertEquals(30, e.retryAfterSeconds());
        assertEquals(stored, store.hashes.size(), "nothing stored");
        assertEquals(1, events.creationRefused.get());
        assertNull(refused.current(), "the refused session is gone from the request too");

        // Another client is not affected; an existing session of the limited client still works.
        RequestSession other = request();
        other.setClientAddress("198.51.100.2");
        other.getOrCreate().setAttribute("n", 1);
        String cookie = assertInstanceOf(CookieChange.Set.class, other.commit()).value();
        RequestSession again = request(cookie);
        again.setClientAddress("198.51.100.1");
        again.current().setAttribute("n", 2);
        assertInstanceOf(CookieChange.None.class, again.commit());
        assertEquals(2, again.current().getAttribute("n"));
    }

    @Test
    void aSignIn_isNotCountedAsANewAnonymousSession() {
        store.maxNewPerClient = 0;
        RequestSession rs = request();
        rs.setClientAddress("198.51.100.9");
        rs.login("alice", Set.of("user"), "198.51.100.9", "test");
        assertInstanceOf(CookieChange.Set.class, rs.commit());
        assertTrue(store.saves.stream().allMatch(s -> s.write().creator() == null));
        assertEquals(0, events.creationRefused.get());
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
        // Only what cannot be derived is stored: no absolute deadline (#c + the configured timeout), no default idle
        // timeout, no CSRF token, no sign-in time, and no last access while it is the creation time.
        assertEquals(Set.of(Fields.CREATED, "a:cart"), w.set().keySet());
        assertTrue(w.remove().isEmpty());
        assertEquals(IDLE.toMillis(), w.ttlMillis());
        assertEquals(T0 + ABSOLUTE.toMillis(), s.absoluteDeadline());
        assertEquals(IDLE.toSeconds(), s.maxInactiveSeconds());
        assertNull(s.csrfToken(), "an anonymous session has no CSRF token");
        assertEquals(0, s.authTime());

        String value = assertInstanceOf(CookieChange.Set.class, change).value();
        assertEquals(Optional.of(s.id()), ids.verify(value));
        assertFalse(store.hashes.keySet().stream().anyMatch(k -> k.hash().contains(s.id()) || k.tag().length() != 4));

        RequestSession next = request(value);
        assertEquals(Status.ANONYMOUS, next.status());
        assertEquals("3 items", next.current().getAttribute("cart"));
        assertEquals(T0 + ABSOLUTE.toMillis(), next.current().absoluteDeadline(), "derived from #c when loaded");
        assertEquals(IDLE.toSeconds(), next.current().maxInactiveSeconds());
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
    void loginOnExistingSession_rotatesTheId_tombstonesTheOldKey_storesTheIdentity_andDerivesTheCsrfToken() {
        UserRef alice = ids.userRef("alice");
        String oldCookie = newStoredSessionOutsideTheSlotOf(alice, "cart", "3 items");
        String oldId = idOf(oldCookie);
        SessionKey oldKey = ids.keyOf(oldId);
        store.resetCounts();

        RequestSession rs = request(oldCookie);
        SessionState s = rs.login("alice", Set.of("user", "admin"), "198.51.100.7", "JUnit/5");
        assertEquals(1, store.saveCount, "the sign-in is written at once");
        CookieChange change = rs.commit();

        String newCookie = assertInstanceOf(CookieChange.Set.class, change).value();
        String newId = idOf(newCookie);
        assertNotEquals(oldId, newId);
        assertEquals(newId, s.id());
        assertEquals(alice.tag(), ids.keyOf(newId).tag(), "a sign-in moves the session into its user's slot");
        SessionKey newKey = ids.keyOf(newId);

        assertEquals(1, store.saveCount, "commit after the sign-in writes nothing more");
        SessionWrite w = store.saves.get(0).write();
        assertTrue(w.create(), "the key in the user's slot is created with every field");
        assertEquals(oldKey, w.retiredKey());
        assertEquals(newKey, w.key());
        assertEquals(alice, w.user());
        assertEquals(T0, w.loginTime());

        assertFalse(store.hashes.containsKey(oldKey));
        assertEquals("rotated", store.tombstones.get(oldKey));
        Map<String, String> stored = store.hashes.get(newKey);
        assertEquals("alice", stored.get(Fields.USER));
        assertEquals("admin,user", stored.get(Fields.ROLES));
        assertFalse(stored.containsKey(Fields.CSRF), "the CSRF token of a fresh sign-in is derived, not stored");
        assertFalse(stored.containsKey(Fields.AUTH_TIME), "signed in when created: the sign-in time is #c");
        assertFalse(stored.containsKey(Fields.MAX_INACTIVE), "the default signed-in idle timeout is not stored");
        assertFalse(stored.containsKey(Fields.ABSOLUTE_DEADLINE));
        assertEquals(T0, s.authTime());
        assertEquals("198.51.100.7", stored.get(Fields.IP_ADDRESS));
        assertEquals("JUnit/5", stored.get(Fields.USER_AGENT));
        assertEquals("s:3 items", stored.get("a:cart"), "attributes move with the session");

        RequestSession withNew = request(newCookie);
        assertEquals(Status.AUTHENTICATED, withNew.status());
        assertEquals(new SessionIdentity("alice", Set.of("user", "admin")), withNew.identity().orElseThrow());
        String token = withNew.current().csrfToken();
        assertEquals(ids.csrfToken(newId), token, "the token derived from the new id");
        assertTrue(token.matches("[A-Za-z0-9_-]{43}"), token);
        assertEquals(s.csrfToken(), token, "the signing-in request sees the same token");
        assertNotEquals(ids.csrfToken(oldId), token);
        assertEquals(T0, withNew.current().authTime());
        assertEquals("3 items", withNew.current().getAttribute("cart"));

        RequestSession withOld = request(oldCookie);
        assertEquals(Status.ENDED, withOld.status());
        assertEquals("rotated", withOld.goneReason());
        // Not cleared: a request that raced the sign-in must not wipe the new cookie the browser may already hold.
        assertInstanceOf(CookieChange.None.class, withOld.commit());
    }

    @Test
    void changeId_keepsTheSlotTag() {
        String cookie = newStoredSession("a", "b");
        RequestSession rs = request(cookie);
        String newId = rs.changeId();
        String newCookie = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        assertEquals(ids.keyOf(idOf(cookie)).tag(), ids.keyOf(newId).tag(), "the slot tag survives rotation");
        assertEquals(newId, idOf(newCookie));
        SessionWrite w = store.saves.get(store.saves.size() - 1).write();
        assertFalse(w.create());
        assertEquals(keyOf(cookie), w.retiredKey());
        assertEquals("rotated", store.tombstones.get(keyOf(cookie)));
        assertEquals("b", request(newCookie).current().getAttribute("a"));
    }

    @Test
    void login_whileTheAnonymousSessionIsSignedOutElsewhere_startsAFreshSession_carryingNothingOver() {
        UserRef alice = ids.userRef("alice");
        String cookie = newStoredSessionOutsideTheSlotOf(alice, "cart", "3 items");
        RequestSession rs = request(cookie);
        assertNotNull(rs.current(), "loaded before the credentials are checked");
        request(cookie).invalidate("logout"); // another request signs out meanwhile

        rs.login("alice", Set.of("user"), null, null);
        String signedIn = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        SessionState s = request(signedIn).current();
        assertEquals("alice", s.identity().orElseThrow().username());
        assertNull(s.getAttribute("cart"), "nothing of the ended session is carried over");
        assertEquals("logout", store.tombstones.get(keyOf(cookie)), "the ended session keeps its reason");
    }

    @Test
    void loginTwice_issuesANewCsrfTokenEachTime() {
        RequestSession first = request();
        first.login("alice", Set.of("user"), null, null);
        String cookie1 = assertInstanceOf(CookieChange.Set.class, first.commit()).value();
        String token1 = request(cookie1).current().csrfToken();

        advance(Duration.ofMinutes(1));
        RequestSession second = request(cookie1);
        second.login("alice", Set.of("user"), null, null);
        String cookie2 = assertInstanceOf(CookieChange.Set.class, second.commit()).value();
        String token2 = request(cookie2).current().csrfToken();
        assertNotNull(token1);
        assertNotEquals(token1, token2);
        assertEquals(ids.csrfToken(idOf(cookie1)), token1);
        assertEquals(ids.csrfToken(idOf(cookie2)), token2, "a fresh sign-in gets the token of its new id");
        Map<String, String> stored = store.hashes.get(keyOf(cookie2));
        assertFalse(stored.containsKey(Fields.CSRF), "the old token is not kept across a fresh sign-in");
        assertEquals(Long.toString(T0 + 60_000), stored.get(Fields.AUTH_TIME),
                "a sign-in later than the creation stores its time");
        assertEquals(T0 + 60_000, request(cookie2).current().authTime());
    }

    @Test
    void anAnonymousSession_hasNoCsrfToken_andChangeIdStoresNone() {
        String cookie = newStoredSession("a", "b");
        assertNull(request(cookie).current().csrfToken());
        RequestSession rs = request(cookie);
        rs.changeId();
        String rotated = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        assertFalse(store.hashes.get(keyOf(rotated)).containsKey(Fields.CSRF));
        assertNull(request(rotated).current().csrfToken());
    }

    @Test
    void theCsrfToken_survivesChangeId_storedOnlyFromThen_andAFreshSignInReplacesIt() {
        String cookie = signedIn("alice");
        String token = request(cookie).current().csrfToken();
        assertEquals(ids.csrfToken(idOf(cookie)), token);
        assertFalse(store.hashes.get(keyOf(cookie)).containsKey(Fields.CSRF));

        // The client holds the token of the old id: it keeps working under the new id, so it is stored now.
        RequestSession rs = request(cookie);
        String newId = rs.changeId();
        assertEquals(token, rs.current().csrfToken(), "the token changed within the rotating request");
        String rotated = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        assertEquals(newId, idOf(rotated));
        assertEquals(token, store.hashes.get(keyOf(rotated)).get(Fields.CSRF));
        assertEquals(token, request(rotated).current().csrfToken());
        assertNotEquals(ids.csrfToken(newId), token);

        // A second rotation keeps the same (stored) token rather than deriving one from the intermediate id.
        RequestSession again = request(rotated);
        again.changeId();
        String twice = assertInstanceOf(CookieChange.Set.class, again.commit()).value();
        assertEquals(token, request(twice).current().csrfToken());

        // revokeOthers re-signs the session in under a new id and keeps the client's token too.
        advance(Duration.ofSeconds(1));
        RequestSession revoke = request(twice);
        revoke.revokeOthers("password-changed");
        String afterRevoke = assertInstanceOf(CookieChange.Set.class, revoke.commit()).value();
        assertEquals(token, request(afterRevoke).current().csrfToken());
        assertEquals(token, store.hashes.get(keyOf(afterRevoke)).get(Fields.CSRF));

        // A fresh sign-in drops the kept token: the new one is derived from the new id.
        RequestSession login = request(afterRevoke);
        login.login("alice", Set.of("user"), null, null);
        String signedInAgain = assertInstanceOf(CookieChange.Set.class, login.commit()).value();
        assertFalse(store.hashes.get(keyOf(signedInAgain)).containsKey(Fields.CSRF));
        assertEquals(ids.csrfToken(idOf(signedInAgain)), request(signedInAgain).current().csrfToken());
        assertNotEquals(token, request(signedInAgain).current().csrfToken());
    }

    @Test
    void loginWithoutSession_createsOne() {
        RequestSession rs = request();
        SessionState s = rs.login("bob", Set.of(), null, null);
        CookieChange change = rs.commit();

        String cookie = assertInstanceOf(CookieChange.Set.class, change).value();
        assertEquals(Optional.of(s.id()), ids.verify(cookie));
        assertEquals(1, store.saveCount);
        SessionWrite w = store.saves.get(0).write();
        assertTrue(w.create());
        assertEquals("bob", w.set().get(Fields.USER));
        assertEquals(Set.of(Fields.CREATED, Fields.USER, Fields.ROLES), w.set().keySet(),
                "no #x, #i, #t, #l or #a: all derived");
        assertTrue(w.remove().isEmpty());
        assertEquals(T0, w.loginTime());

        RequestSession next = request(cookie);
        assertEquals(Status.AUTHENTICATED, next.status());
        assertEquals("bob", next.identity().orElseThrow().username());
        assertEquals(ids.csrfToken(s.id()), next.current().csrfToken());
        assertEquals(T0, next.current().authTime());
        assertEquals(IDLE.toSeconds(), next.current().maxInactiveSeconds());
    }

    @Test
    void loginWithEndedSessionCookie_createsAFreshSession() {
        String cookie = newStoredSession("a", "b");
        RequestSession logout = request(cookie);
        logout.invalidate("logout");
        logout.commit();

        RequestSession rs = request(cookie);
        rs.login("carol", Set.of("user"), null, null);
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
        store.absoluteTimeoutMillis = Duration.ofMinutes(45).toMillis();
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

    @Test
    void sweepExpired_announcesEachTimedOutSessionOnce_withDecodedAttributes_andTheTimeoutsThatWereNotStored() {
        SessionManager strict = strictManager(); // anonymous sessions idle out after 5 minutes, signed-in after 30
        RequestSession anon = strict.open(List.of());
        anon.getOrCreate().setAttribute("cart", "3 items");
        anon.current().setAttribute("n", 7);
        String anonymous = assertInstanceOf(CookieChange.Set.class, anon.commit()).value();
        store.hashes.get(keyOf(anonymous)).put("a:bad", "z:garbage");

        RequestSession custom = strict.open(List.of());
        custom.getOrCreate().setAttribute("x", 1);
        custom.current().setMaxInactiveSeconds(120);
        String shortOne = assertInstanceOf(CookieChange.Set.class, custom.commit()).value();

        RequestSession login = strict.open(List.of());
        login.login("alice", Set.of("user"), null, null);
        login.current().setAttribute("theme", "dark");
        String alice = assertInstanceOf(CookieChange.Set.class, login.commit()).value();
        assertEquals(1, strict.countSignedIn());

        List<ExpiredSession> announced = new ArrayList<>();
        assertEquals(0, strict.sweepExpired("node-1", announced::add));
        assertEquals(List.of(), announced);

        advance(Duration.ofMinutes(2));
        assertEquals(1, strict.sweepExpired("node-1", announced::add));
        assertEquals(List.of(new ExpiredSession(SessionManager.handleOf(keyOf(shortOne)), null, T0, T0, 120,
                Map.of("x", 1))), announced, "the stored custom idle timeout");

        int quarantined = events.quarantined.get();
        advance(Duration.ofMinutes(3));
        assertEquals(1, strict.sweepExpired("node-1", announced::add));
        assertEquals(new ExpiredSession(SessionManager.handleOf(keyOf(anonymous)), null, T0, T0, 300,
                Map.of("cart", "3 items", "n", 7)), announced.get(1),
                "no #i stored: the anonymous default; the unreadable attribute is left out");
        assertEquals(quarantined + 1, events.quarantined.get());
        assertEquals(0, strict.sweepExpired("node-1", announced::add), "each expiry is announced once");

        advance(Duration.ofMinutes(25));
        assertEquals(1, strict.sweepExpired("node-2", announced::add));
        assertEquals(new ExpiredSession(SessionManager.handleOf(keyOf(alice)), "alice", T0, T0, (int) IDLE.toSeconds(),
                Map.of("theme", "dark")), announced.get(2), "no #i stored: the signed-in default");
        assertEquals(3, announced.size());
        assertEquals(List.of("node-1", "node-1", "node-1", "node-1", "node-2"), store.sweeps);
        assertEquals(0, strict.countSignedIn());
        assertEquals(List.of(), strict.sessionsOf("alice"));
        assertEquals("expired", strict.open(List.of(alice)).goneReason());
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
        assertThrows(SessionTooLargeException.class, () -> s.setAttribute("a", "x".repeat(16384 - 1)));
        assertThrows(SessionTooLargeException.class, () -> s.setAttribute("b", "é".repeat(8192)),
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
        assertThrows(SessionTooLargeException.class, () -> s.setAttribute("a", "x".repeat(10000)));
        assertEquals("old", s.getAttribute("a"));
        slow.commit();

        assertEquals("s:new", store.hashes.get(key).get("a:a"),
                "a refused setAttribute wrote the request's stale value back over another request's change");
        assertEquals(0, store.saveCount, "nothing changed in this request, within the touch interval");
    }

    /** A manager whose anonymous sessions idle out after 5 minutes and hold at most 3 attributes. */
    private SessionManager strictManager() {
        return new SessionManager(store, ids, new AttributeCodec(Map.of()), new SessionPolicy(IDLE, ABSOLUTE, TOUCH,
                16384, 65536, Duration.ofMinutes(5), 3), events, clock, "__Host-SID");
    }

    @Test
    void beyondMaxAttributes_setAttributeThrows_butReplacingOrAfterARemovalIsFine() {
        SessionManager strict = strictManager();
        RequestSession rs = strict.open(List.of());
        SessionState s = rs.getOrCreate();
        for (int i = 1; i <= 3; i++) {
            s.setAttribute("a" + i, i);
        }
        SessionTooLargeException e = assertThrows(SessionTooLargeException.class, () -> s.setAttribute("a4", 4));
        assertTrue(e.getMessage().contains("at most 3 attributes"), e.getMessage());
        s.setAttribute("a3", 33);
        s.removeAttribute("a1");
        s.setAttribute("a4", 4);
        String cookie = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        assertEquals(Set.of("a2", "a3", "a4"), strict.open(List.of(cookie)).current().getAttributeNames());
    }

    @Test
    void anAnonymousSession_hasTheShorterIdleTimeout_untilSomeoneSignsIn() {
        SessionManager strict = strictManager();
        RequestSession rs = strict.open(List.of());
        SessionState s = rs.getOrCreate();
        s.setAttribute("cart", "1 item");
        String cookie = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        assertEquals(300, s.maxInactiveSeconds());
        assertEquals(Duration.ofMinutes(5).toMillis(), store.saves.get(0).write().ttlMillis());
        assertFalse(store.hashes.get(keyOf(cookie)).containsKey(Fields.MAX_INACTIVE),
                "the configured anonymous timeout is not stored");
        assertEquals(300, strict.open(List.of(cookie)).current().maxInactiveSeconds());

        // The Servlet "never" (<= 0) means the configured timeout, which is the anonymous one here.
        RequestSession again = strict.open(List.of(cookie));
        again.current().setMaxInactiveSeconds(0);
        assertEquals(300, again.current().maxInactiveSeconds());
        int saves = store.saveCount;
        again.commit();
        assertEquals(saves, store.saveCount, "setting the default changes nothing to store");

        // A touch after the touch interval reports the stored deadline, with the (not stored) anonymous timeout.
        advance(TOUCH);
        RequestSession touch = strict.open(List.of(cookie));
        touch.current().markAccessed();
        touch.commit();

        RequestSession login = strict.open(List.of(cookie));
        login.login("alice", Set.of("user"), null, null);
        String signedIn = assertInstanceOf(CookieChange.Set.class, login.commit()).value();
        SessionWrite w = store.saves.get(store.saves.size() - 1).write();
        assertEquals(IDLE.toMillis(), w.ttlMillis(), "a sign-in switches to the signed-in idle timeout");
        assertFalse(store.hashes.get(keyOf(signedIn)).containsKey(Fields.MAX_INACTIVE),
                "the signed-in timeout is the default: not stored either");
        SessionState after = strict.open(List.of(signedIn)).current();
        assertEquals(IDLE.toSeconds(), after.maxInactiveSeconds());
        assertEquals("1 item", after.getAttribute("cart"), "the anonymous attributes carried over");
    }

    @Test
    void aShortMaxInactiveInterval_isTouchedWithinHalfOfIt() {
        RequestSession rs = request();
        SessionState s = rs.getOrCreate();
        s.setMaxInactiveSeconds(20); // shorter than twice the 60 s touch interval
        s.setAttribute("x", "y");
        String cookie = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        assertEquals("20", store.hashes.get(keyOf(cookie)).get(Fields.MAX_INACTIVE), "a non-default timeout is stored");
        store.resetCounts();
        advance(Duration.ofSeconds(9));
        RequestSession early = request(cookie);
        early.current().markAccessed();
        early.commit();
        assertEquals(0, store.saveCount, "no touch before half of the idle timeout");
        advance(Duration.ofSeconds(2));
        RequestSession late = request(cookie);
        late.current().markAccessed();
        late.commit();
        assertEquals(1, store.saveCount, "touched after half of the idle timeout, though the interval is 60 s");
        assertEquals(20_000, store.saves.get(0).write().ttlMillis());
    }

    @Test
    void settingTheMaxInactiveIntervalBackToTheDefault_removesTheStoredValue() {
        String cookie = newStoredSession("x", "y");
        RequestSession custom = request(cookie);
        custom.current().setMaxInactiveSeconds(600);
        custom.commit();
        assertEquals("600", store.hashes.get(keyOf(cookie)).get(Fields.MAX_INACTIVE));
        assertEquals(600, request(cookie).current().maxInactiveSeconds());

        RequestSession reset = request(cookie);
        reset.current().setMaxInactiveSeconds((int) IDLE.toSeconds());
        reset.commit();
        SessionWrite w = store.saves.get(store.saves.size() - 1).write();
        assertEquals(Set.of(Fields.MAX_INACTIVE), w.remove());
        assertEquals(IDLE.toMillis(), w.ttlMillis());
        assertFalse(store.hashes.get(keyOf(cookie)).containsKey(Fields.MAX_INACTIVE));
        assertEquals(IDLE.toSeconds(), request(cookie).current().maxInactiveSeconds());
    }

    @Test
    void aBrowsersUserAgent_isKeptToItsFirst64Bytes_soTheHashStaysCompact() {
        String chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/131.0.0.0 Safari/537.36";
        String cookie = signedIn("alice", "198.51.100.7", chrome);
        String stored = store.hashes.get(keyOf(cookie)).get(Fields.USER_AGENT);
        assertEquals(chrome.substring(0, 64), stored);

        assertEquals("short/1.0", SessionState.truncateUtf8("short/1.0", 64));
        String accents = "é".repeat(40); // 80 bytes
        assertEquals("é".repeat(32), SessionState.truncateUtf8(accents, 64));
        assertEquals("x".repeat(63), SessionState.truncateUtf8("x".repeat(63) + "é", 64), "never half a character");
        assertEquals("x".repeat(60) + "\uD83D\uDE00", SessionState.truncateUtf8("x".repeat(60) + "\uD83D\uDE00!", 64));
    }

    // ---- per-user index, revocation, eviction ---------------------------------------------------------------

    /** Signs a user in on a request without a session; returns the cookie. */
    private String signedIn(String username, String ip, String userAgent) {
        RequestSession rs = request();
        rs.login(username, Set.of("user"), ip, userAgent);
        return assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
    }

    private String signedIn(String username) {
        return signedIn(username, null, null);
    }

    @Test
    void login_onAnAnonymousSessionInAnotherSlot_tombstonesTheOldKeyRotated_andIndexesTheNewIdInTheUsersSlot() {
        UserRef alice = ids.userRef("alice");
        String anonymous = newStoredSessionOutsideTheSlotOf(alice, "cart", "1 item");
        SessionKey oldKey = keyOf(anonymous);
        advance(Duration.ofMinutes(1));

        RequestSession rs = request(anonymous);
        rs.login("alice", Set.of("user"), "203.0.113.9", "Firefox");
        String cookie = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();
        String newId = idOf(cookie);
        SessionKey newKey = ids.keyOf(newId);

        assertEquals(alice.tag(), ids.keyOf(newId).tag(), "the new id is in the user's slot");
        assertEquals(alice.tag(), newKey.tag());
        assertNotEquals(oldKey.tag(), newKey.tag());
        assertFalse(store.hashes.containsKey(oldKey));
        assertEquals("rotated", store.tombstones.get(oldKey));
        assertEquals(Map.of(newKey.hash(), clock.millis() + IDLE.toMillis()), store.indexes.get(alice),
                "indexed under the new handle with its idle deadline");
        assertEquals(Long.toString(T0), store.hashes.get(newKey).get(Fields.CREATED), "the session keeps its creation time");
        assertFalse(store.hashes.get(newKey).containsKey(Fields.ABSOLUTE_DEADLINE));
        assertEquals(Long.toString(T0 + 60_000), store.hashes.get(newKey).get(Fields.AUTH_TIME),
                "signed in a minute after the creation: the sign-in time is stored");
        SessionState signedIn = request(cookie).current();
        assertEquals(T0 + ABSOLUTE.toMillis(), signedIn.absoluteDeadline(), "the absolute deadline moves with #c");
        assertEquals(T0 + 60_000, signedIn.authTime());
        assertEquals("1 item", signedIn.getAttribute("cart"));

        RequestSession old = request(anonymous);
        assertEquals(Status.ENDED, old.status());
        assertEquals("rotated", old.goneReason());
        assertInstanceOf(CookieChange.None.class, old.commit());

        assertEquals(List.of(new SessionSummary(SessionManager.handleOf(newKey), T0, clock.millis(), "203.0.113.9",
                "Firefox")), manager.sessionsOf("alice"));
    }

    @Test
    void revokeOthers_keepsTheCurrentSessionUnderANewId_andEndsEveryOtherSessionOfTheUser() {
        UserRef alice = ids.userRef("alice");
        String phone = signedIn("alice");
        advance(Duration.ofSeconds(1));
        String laptop = signedIn("alice");
        advance(Duration.ofSeconds(1));
        String tablet = signedIn("alice");
        advance(Duration.ofSeconds(1));
        String lost = signedIn("alice");
        store.indexes.get(alice).remove(keyOf(lost).hash()); // a stale index: the session is stored but not indexed
        String bob = signedIn("bob");
        advance(Duration.ofMinutes(1));

        RequestSession lateWriter = request(lost);
        assertEquals(Status.AUTHENTICATED, lateWriter.status(), "loaded before the revocation");

        RequestSession rs = request(laptop);
        long revokedAt = clock.millis();
        assertEquals(2, rs.revokeOthers("password-changed"), "the indexed other sessions were deleted");
        String kept = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();

        assertNotEquals(idOf(laptop), idOf(kept), "the current session gets a new id");
        assertEquals(alice.tag(), ids.keyOf(idOf(kept)).tag());
        RequestSession current = request(kept);
        assertEquals(Status.AUTHENTICATED, current.status());
        assertEquals("alice", current.identity().orElseThrow().username());
        assertEquals(revokedAt, current.current().authTime(), "the kept session is signed in again now");
        assertEquals("rotated", request(laptop).goneReason());
        for (String other : List.of(phone, tablet, lost)) {
            RequestSession o = request(other);
            assertEquals(Status.ENDED, o.status());
            assertEquals("password-changed", o.goneReason());
            assertInstanceOf(CookieChange.Clear.class, o.commit());
        }
        assertTrue(store.hashes.containsKey(keyOf(lost)), "the unindexed session is refused by the marker alone");
        assertEquals(Status.AUTHENTICATED, request(bob).status(), "another user's session is untouched");
        assertEquals(List.of(keyOf(kept).hash()), store.indexed(alice));
        assertEquals(List.of(SessionManager.handleOf(keyOf(kept))),
                manager.sessionsOf("alice").stream().map(SessionSummary::handle).toList());

        // A request that loaded a revoked session before the revocation cannot write it back.
        lateWriter.current().setAttribute("late", "write");
        assertInstanceOf(CookieChange.None.class, lateWriter.commit());
        assertNull(store.hashes.get(keyOf(lost)).get("a:late"), "a revoked session was written");

        // Signing in at (or after) the revocation time works.
        String fresh = signedIn("alice");
        assertEquals(Status.AUTHENTICATED, request(fresh).status());
        assertFalse(store.hashes.get(keyOf(fresh)).containsKey(Fields.AUTH_TIME),
                "its sign-in time is its creation time (#c), which the marker is compared with");
        assertEquals(List.of(SessionManager.handleOf(keyOf(kept)), SessionManager.handleOf(keyOf(fresh))).stream()
                .sorted().toList(), manager.sessionsOf("alice").stream().map(SessionSummary::handle).sorted().toList());
    }

    @Test
    void revokeOthers_withoutASignedInSession_throws() {
        assertThrows(IllegalStateException.class, () -> request().revokeOthers("password-changed"));
        String anonymous = newStoredSession("a", "b");
        assertThrows(IllegalStateException.class, () -> request(anonymous).revokeOthers("password-changed"));
    }

    @Test
    void signInBeyondMaxPerUser_endsTheLeastRecentlyActiveOtherSession_asEvicted() {
        store.maxPerUser = 2;
        String first = signedIn("alice");
        advance(Duration.ofMinutes(2));
        String second = signedIn("alice");
        advance(Duration.ofMinutes(2));
        RequestSession touch = request(first);
        touch.current().markAccessed();
        touch.commit(); // first is now more recently active than second
        advance(Duration.ofMinutes(1));

        String third = signedIn("alice");
        assertEquals("evicted", request(second).goneReason());
        assertEquals(Status.AUTHENTICATED, request(first).status());
        assertEquals(Status.AUTHENTICATED, request(third).status());
        assertEquals(2, manager.sessionsOf("alice").size());
        assertEquals(2, manager.countSignedIn());
    }

    @Test
    void loginAsAnotherUser_movesTheSessionIntoTheNewUsersSlot_andOutOfThePreviousUsersIndex() {
        String bobs = signedIn("bob");
        advance(Duration.ofMinutes(1));
        RequestSession rs = request(bobs);
        rs.login("alice", Set.of("user"), null, null);
        String alices = assertInstanceOf(CookieChange.Set.class, rs.commit()).value();

        assertEquals(ids.userRef("alice").tag(), ids.keyOf(idOf(alices)).tag());
        assertEquals("logout", request(bobs).goneReason(), "another user signing in ends the previous session");
        assertEquals("alice", request(alices).identity().orElseThrow().username());
        assertEquals(List.of(keyOf(alices).hash()), store.indexed(ids.userRef("alice")));
        assertEquals(List.of(), store.indexed(ids.userRef("bob")));
        assertEquals(List.of(), manager.sessionsOf("bob"));
        assertEquals(1, manager.countSignedIn(), "only alice's session is signed in");
    }

    @Test
    void sessionManager_listsRevokesAndCountsAUsersSessions_byHandle() {
        String a1 = signedIn("alice", "192.0.2.1", "UA-1");
        advance(Duration.ofMinutes(1));
        String a2 = signedIn("alice", "192.0.2.2", "UA-2");
        String b1 = signedIn("bob");
        String h1 = SessionManager.handleOf(keyOf(a1));
        String h2 = SessionManager.handleOf(keyOf(a2));

        assertEquals(List.of(new SessionSummary(h1, T0, T0, "192.0.2.1", "UA-1"),
                new SessionSummary(h2, T0 + 60_000, T0 + 60_000, "192.0.2.2", "UA-2")), manager.sessionsOf("alice"));
        assertEquals(3, manager.countSignedIn());
        assertEquals(List.of(), manager.sessionsOf("nobody"));
        assertEquals(16, h1.length(), "a handle is the 16-character key hash");

        assertFalse(manager.revoke("alice", SessionManager.handleOf(keyOf(b1)), "revoked"), "another user's session");
        assertFalse(manager.revoke("alice", "not-a-handle", "revoked"));
        assertFalse(manager.revoke("alice", null, "revoked"));
        assertEquals(Status.AUTHENTICATED, request(b1).status());

        assertTrue(manager.revoke("alice", h1, "revoked"));
        assertEquals("revoked", request(a1).goneReason());
        assertFalse(manager.revoke("alice", h1, "revoked"), "already ended");

        advance(Duration.ofSeconds(1));
        assertEquals(1, manager.revokeAll("alice", "admin"));
        assertEquals("admin", request(a2).goneReason());
        assertEquals(List.of(), manager.sessionsOf("alice"));
        assertEquals(1, manager.countSignedIn(), "bob's session is left");
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
        final AtomicInteger creationRefused = new AtomicInteger();

        @Override
        public void creationRefused() {
            creationRefused.incrementAndGet();
        }

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
     * tombstones the old key with "rotated", a create that carries a retired key (a sign-in that moves the session
     * into its user's slot) retires the old key with "rotated", an "i:" value keeps its tag (a Long is a plain
     * decimal) and anything else starts from 0, like save.lua. Signed-in sessions are indexed per user (handle ->
     * idle deadline); revocation markers per slot tag (user -> "notBeforeMs|reason") make load report a session
     * signed in before them ({@code #l}, else {@code #c}) as gone and save refuse to write it; a sign-in (create or
     * rotate with a user) prunes the index and ends the least recently active other sessions beyond {@code maxPerUser}
     * ("evicted"; never the session being signed in). TTLs are recorded, not enforced; the expiry sweep ends and
     * announces the sessions whose deadline passed.
     */
    static final class FakeStore implements SessionStore {
        record Save(SessionWrite write, long at, Long absoluteDeadline) {
        }

        final Map<SessionKey, Map<String, String>> hashes = new HashMap<>();
        final Map<SessionKey, String> tombstones = new HashMap<>();
        final Map<SessionKey, Long> ttls = new HashMap<>();
        /** Per session: its deadline (epoch ms) as of its last write, like the field {@code #e} of save.lua. */
        final Map<SessionKey, Long> deadlines = new HashMap<>();
        /**
         * The policy's absolute timeout: sessions no longer store their absolute deadline, so the fake derives it
         * from {@code #c} to record it with each write (for the check after each test).
         */
        long absoluteTimeoutMillis = ABSOLUTE.toMillis();
        /** Per user: handle -> idle deadline (epoch ms), like the zset {@code u:{tag}name:s}. */
        final Map<UserRef, Map<String, Long>> indexes = new HashMap<>();
        /** Per slot tag: user name -> "notBeforeMs|reason", like the hash {@code u:{tag}nb}. */
        final Map<String, Map<String, String>> markers = new HashMap<>();
        final List<Save> saves = new ArrayList<>();
        private final Clock clock;
        int maxPerUser = 10;
        /** New anonymous sessions per creating client before save refuses (never reset: no window here). */
        int maxNewPerClient = Integer.MAX_VALUE;
        final Map<ClientRef, Integer> created = new HashMap<>();
        int loadCount;
        int saveCount;
        int deleteCount;
        UserRef lastDeletedUser;

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

        /** The index of a user in ZRANGE order (score, then handle). */
        synchronized List<String> indexed(UserRef user) {
            Map<String, Long> index = indexes.getOrDefault(user, Map.of());
            List<String> handles = new ArrayList<>(index.keySet());
            handles.sort(java.util.Comparator.<String>comparingLong(index::get).thenComparing(h -> h));
            return handles;
        }

        private static long number(String v) {
            try {
                return v == null ? 0 : Long.parseLong(v);
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        /** The sign-in time of a stored session, like load.lua: {@code #l}, else (not stored when equal) {@code #c}. */
        private static long loginTime(Map<String, String> h) {
            String l = h.get(Fields.AUTH_TIME);
            return number(l != null ? l : h.get(Fields.CREATED));
        }

        /** The marker's reason if {@code user}'s sessions signed in at {@code loginTime} are revoked, else null. */
        private String revokedReason(String tag, String user, long loginTime) {
            String marker = markers.getOrDefault(tag, Map.of()).get(user);
            if (marker == null) {
                return null;
            }
            int bar = marker.indexOf('|');
            return loginTime < number(marker.substring(0, bar)) ? marker.substring(bar + 1) : null;
        }

        @Override
        public synchronized Loaded load(SessionKey key) {
            loadCount++;
            Map<String, String> h = hashes.get(key);
            if (h != null && !h.isEmpty()) {
                String user = h.get(Fields.USER);
                String revoked = user == null ? null : revokedReason(key.tag(), user, loginTime(h));
                if (revoked != null) {
                    return Loaded.gone(revoked);
                }
                // As load.lua returns it: with the deadline save.lua writes into the hash (#e).
                Map<String, String> stored = new HashMap<>(h);
                Long deadline = deadlines.get(key);
                if (deadline != null) {
                    stored.put(Fields.DEADLINE, Long.toString(deadline));
                }
                return Loaded.found(stored);
            }
            return Loaded.gone(tombstones.get(key));
        }

        @Override
        public synchronized Optional<Map<String, String>> save(SessionWrite w) {
            saveCount++;
            if (w.creator() != null && w.create() && !hashes.containsKey(w.key()) && !tombstones.containsKey(w.key())
                    && created.merge(w.creator(), 1, Integer::sum) > maxNewPerClient) {
                saves.add(new Save(w, clock.millis(), null));
                throw new TooManyNewSessionsException(30_000);
            }
            UserRef user = w.user();
            if (user != null && revokedReason(w.key().tag(), user.username(), w.loginTime()) != null) {
                return record(w, Optional.empty());
            }
            boolean moveSlot = w.create() && w.retiredKey() != null;
            boolean rotate = !w.create() && w.retiredKey() != null;
            if (moveSlot && !hashes.containsKey(w.retiredKey())) {
                return record(w, Optional.empty()); // the anonymous session ended meanwhile: nothing carried over
            }
            Map<String, String> h;
            if (w.create()) {
                if (hashes.containsKey(w.key()) || tombstones.containsKey(w.key())) {
                    return record(w, Optional.empty());
                }
                h = new LinkedHashMap<>();
                hashes.put(w.key(), h);
            } else if (rotate) {
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
            deadlines.put(w.key(), clock.millis() + w.ttlMillis());
            List<String> evicted = new ArrayList<>();
            if (user != null) {
                long now = clock.millis();
                Map<String, Long> index = indexes.computeIfAbsent(user, u -> new HashMap<>());
                if (rotate) {
                    index.remove(w.retiredKey().hash());
                }
                index.put(w.key().hash(), now + w.ttlMillis());
                if (w.create() || rotate) {
                    // A sign-in: drop entries whose idle deadline passed, then end the least recently active
                    // sessions beyond the limit (never the one being signed in).
                    index.values().removeIf(deadline -> deadline <= now);
                    for (String handle : indexed(user)) {
                        if (index.size() <= maxPerUser) {
                            break;
                        }
                        if (!handle.equals(w.key().hash())) {
                            index.remove(handle);
                            evicted.add(handle);
                        }
                    }
                }
            }
            Optional<Map<String, String>> result = record(w, Optional.of(out));
            if (moveSlot) {
                // RedissonSessionStore retires the old key (another slot) in a separate call. A session that was
                // signed in as someone else leaves that user's index too (documented; see RedissonSessionIndexTest).
                Map<String, String> retired = hashes.remove(w.retiredKey());
                tombstones.put(w.retiredKey(), "rotated");
                String previous = retired == null ? null : retired.get(Fields.USER);
                if (previous != null) {
                    indexes.getOrDefault(new UserRef(w.retiredKey().tag(), previous), new HashMap<>())
                            .remove(w.retiredKey().hash());
                }
            }
            for (String handle : evicted) {
                SessionKey k = new SessionKey(user.tag(), handle);
                hashes.remove(k);
                tombstones.put(k, "evicted");
            }
            return result;
        }

        private Optional<Map<String, String>> record(SessionWrite w, Optional<Map<String, String>> result) {
            Map<String, String> h = hashes.get(w.key());
            Long deadline = h == null ? null
                    : h.get(Fields.ABSOLUTE_DEADLINE) != null ? Long.valueOf(h.get(Fields.ABSOLUTE_DEADLINE))
                    : h.get(Fields.CREATED) != null ? number(h.get(Fields.CREATED)) + absoluteTimeoutMillis : null;
            saves.add(new Save(w, clock.millis(), deadline));
            return result;
        }

        @Override
        public synchronized boolean delete(SessionKey key, UserRef user, String reason) {
            deleteCount++;
            lastDeletedUser = user;
            boolean existed = hashes.remove(key) != null;
            tombstones.put(key, reason);
            if (user != null) {
                indexes.getOrDefault(user, new HashMap<>()).remove(key.hash());
            }
            return existed;
        }

        @Override
        public synchronized List<SessionSummary> sessionsOf(UserRef user) {
            long now = clock.millis();
            Map<String, Long> index = indexes.get(user);
            if (index == null) {
                return List.of();
            }
            index.values().removeIf(deadline -> deadline <= now);
            String marker = markers.getOrDefault(user.tag(), Map.of()).get(user.username());
            long notBefore = marker == null ? 0 : number(marker.substring(0, marker.indexOf('|')));
            List<SessionSummary> out = new ArrayList<>();
            for (String handle : indexed(user)) {
                Map<String, String> h = hashes.get(new SessionKey(user.tag(), handle));
                if (h == null || loginTime(h) < notBefore) {
                    index.remove(handle);
                } else {
                    String created = h.get(Fields.CREATED);
                    String access = h.getOrDefault(Fields.LAST_ACCESS, created);
                    out.add(new SessionSummary(handle, number(created), number(access), h.get(Fields.IP_ADDRESS),
                            h.get(Fields.USER_AGENT)));
                }
            }
            return out;
        }

        @Override
        public synchronized boolean revoke(UserRef user, String handle, String reason) {
            Map<String, Long> index = indexes.get(user);
            if (index == null || index.remove(handle) == null) {
                return false;
            }
            SessionKey key = new SessionKey(user.tag(), handle);
            boolean existed = hashes.remove(key) != null;
            if (existed) {
                tombstones.put(key, reason);
            }
            return existed;
        }

        @Override
        public synchronized int revokeAll(UserRef user, long notBefore, String reason, String keep) {
            markers.computeIfAbsent(user.tag(), t -> new HashMap<>()).put(user.username(), notBefore + "|" + reason);
            int deleted = 0;
            for (String handle : indexed(user)) {
                if (handle.equals(keep)) {
                    continue;
                }
                SessionKey key = new SessionKey(user.tag(), handle);
                deleted += hashes.remove(key) != null ? 1 : 0;
                tombstones.put(key, reason);
                indexes.get(user).remove(handle);
            }
            return deleted;
        }

        /** Every live entry of every user's index (the Redis store keeps counts that its writes update). */
        @Override
        public synchronized long countSignedIn() {
            long now = clock.millis();
            return indexes.values().stream().flatMap(index -> index.values().stream()).filter(d -> d > now).count();
        }

        /** Owners of the sweeps, in order. */
        final List<String> sweeps = new ArrayList<>();

        /**
         * Announces, once, every stored session whose deadline passed, then ends it like its TTL would (tombstone
         * "expired", out of its user's index). No shards, leases or claims: one sweeper at a time.
         */
        @Override
        public synchronized int sweepExpired(String owner, java.util.function.Consumer<ExpiredSession> announce) {
            sweeps.add(owner);
            long now = clock.millis();
            List<SessionKey> due = new ArrayList<>();
            deadlines.forEach((key, deadline) -> {
                if (deadline <= now && hashes.containsKey(key)) {
                    due.add(key);
                }
            });
            due.sort(java.util.Comparator.comparingLong(deadlines::get));
            for (SessionKey key : due) {
                Map<String, String> h = hashes.remove(key);
                deadlines.remove(key);
                tombstones.put(key, "expired");
                String user = h.get(Fields.USER);
                if (user != null) {
                    indexes.getOrDefault(new UserRef(key.tag(), user), new HashMap<>()).remove(key.hash());
                }
                announce.accept(new ExpiredSession(key, user, h));
            }
            return due.size();
        }
    }
}
