package org.redsession.session.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redsession.session.AttributeCodec;
import org.redsession.session.RequestSession;
import org.redsession.session.RequestSession.CookieChange;
import org.redsession.session.RequestSession.Status;
import org.redsession.session.SessionEvents;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionPolicy;
import org.redsession.session.SessionKey;
import org.redsession.session.SessionStore.Loaded;
import org.redsession.session.SessionStoreUnavailableException;
import org.redsession.session.SessionSummary;
import org.redsession.session.SessionWrite;
import org.redsession.session.UserRef;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;

/**
 * The per-user session index, revocation markers, revocation and the per-user limit of {@link RedissonSessionStore}
 * against a real redis-server.
 */
class RedissonSessionIndexTest {

    private static final long TTL = 600_000;
    private static final long TOMBSTONE_TTL = 120_000;
    private static final long USER_KEYS_TTL = 8 * 3_600_000L;
    private static final long ABSOLUTE = 8 * 3_600_000L;
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private static RedisServer redis;
    private static RedissonClient client;

    private final SessionIds ids = new SessionIds(List.of("index-test-secret-0123456789abcdef".getBytes(
            StandardCharsets.US_ASCII)));
    private final UserRef alice = ids.userRef("alice");
    private final UserRef bob = ids.userRef("bob");
    private String prefix;
    private Layout layout;
    private RedissonSessionStore store;

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
        prefix = "rsi" + PREFIXES.incrementAndGet() + ":";
        layout = new Layout(redis, prefix);
        store = store(10);
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private RedissonSessionStore store(int maxPerUser) {
        return new RedissonSessionStore(client, prefix, TOMBSTONE_TTL, USER_KEYS_TTL, maxPerUser);
    }

    private String sessionKey(SessionKey key) {
        return prefix + "s:{" + key.tag() + "}" + key.hash();
    }

    private String tombstoneKey(SessionKey key) {
        return sessionKey(key) + ":gone";
    }

    /** The user's account hash: it holds the user's session index, fields s:&lt;handle&gt; -&gt; deadline. */
    private String indexKey(UserRef user) {
        return layout.account(user);
    }

    private String markerKey(String tag) {
        return prefix + "u:{" + tag + "}nb";
    }

    private SessionKey keyFor(UserRef user) {
        return ids.keyOf(ids.newIdFor(user));
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    /** The fields a sign-in writes (see SessionState): times, identity, client. */
    private Map<String, String> signedInFields(UserRef user, long created, long loginTime, String ip, String ua) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("#c", Long.toString(created));
        f.put("#a", Long.toString(loginTime));
        f.put("#x", Long.toString(created + ABSOLUTE));
        f.put("#i", "1800");
        f.put("#u", user.username());
        f.put("#r", "user");
        f.put("#t", ids.newToken());
        f.put("#l", Long.toString(loginTime));
        if (ip != null) {
            f.put("#ip", ip);
        }
        if (ua != null) {
            f.put("#ua", ua);
        }
        return f;
    }

    private SessionWrite signIn(SessionKey key, UserRef user, long loginTime, Map<String, String> fields) {
        return new SessionWrite(key, null, true, fields, Set.of(), Map.of(), TTL, user, loginTime);
    }

    private static SessionWrite update(SessionKey key, UserRef user, long loginTime, Map<String, String> set, long ttl) {
        return new SessionWrite(key, null, false, set, Set.of(), Map.of(), ttl, user, loginTime);
    }

    /** A stored session of {@code user} signed in at {@code loginTime}. */
    private SessionKey signedIn(RedissonSessionStore s, UserRef user, long loginTime) {
        SessionKey key = keyFor(user);
        assertTrue(s.save(signIn(key, user, loginTime, signedInFields(user, loginTime, loginTime, null, null)))
                .isPresent());
        return key;
    }

    private SessionKey signedIn(UserRef user, long loginTime) {
        return signedIn(store, user, loginTime);
    }

    /** The deadline the user's index holds for a handle, or null. */
    private Long score(UserRef user, String handle) {
        return layout.indexedDeadline(user, handle);
    }

    private List<String> indexed(UserRef user) {
        return layout.indexed(user);
    }

    private static Map<String, String> withoutDeadline(Map<String, String> fields) {
        Map<String, String> copy = new HashMap<>(fields);
        copy.remove("#e");
        return copy;
    }

    /**
     * Waits until the count of signed-in sessions is {@code expected} and stays so for a moment: the store writes
     * the count without waiting for the reply.
     */
    private void assertCountSignedIn(long expected, String what) {
        Poll.until(Duration.ofSeconds(10), "countSignedIn() == " + expected + " " + what,
                () -> store.countSignedIn() == expected);
        long settleUntil = now() + 300;
        while (now() < settleUntil) {
            assertEquals(expected, store.countSignedIn(), what);
            Thread.onSpinWait();
        }
    }

    private boolean exists(String key) {
        return Long.valueOf(1).equals(redis.call("EXISTS", key));
    }

    /** Two user names whose keyed 24-bit tags collide, so their index and markers share one slot. */
    private UserRef[] twoUsersSharingATag() {
        Map<String, UserRef> byTag = new HashMap<>();
        for (int i = 0;; i++) {
            UserRef u = ids.userRef("user" + i);
            UserRef other = byTag.putIfAbsent(u.tag(), u);
            if (other != null) {
                return new UserRef[] {other, u};
            }
        }
    }

    private static long scriptCalls(Map<String, Long> before, Map<String, Long> after) {
        long n = 0;
        for (String c : List.of("evalsha", "eval", "evalsha_ro", "eval_ro")) {
            n += after.getOrDefault(c, 0L) - before.getOrDefault(c, 0L);
        }
        return n;
    }

    // ---- the index ------------------------------------------------------------------------------------------

    @Test
    void signedInSave_indexesTheHandle_withItsDeadline_inTheAccountHash_whichHasATtlWhileThereIsNoAccount() {
        SessionKey key = keyFor(alice);
        long before = now();
        assertTrue(store.save(signIn(key, alice, before, signedInFields(alice, before, before, null, null))).isPresent());
        long after = now();

        Long score = score(alice, key.hash());
        assertNotNull(score, "not indexed");
        assertTrue(score >= before + TTL && score <= after + TTL, "deadline " + score + " not in [" + (before + TTL)
                + ", " + (after + TTL) + "]");
        assertEquals(score, layout.deadline(key), "the index holds the session's deadline #e");
        assertEquals(prefix + "a:{" + alice.tag() + "}alice", indexKey(alice));
        assertEquals(alice.tag(), SessionIds.userTag("alice"), "the user's tag is not keyed");
        long pttl = redis.ttl(indexKey(alice));
        assertTrue(pttl > USER_KEYS_TTL - 10_000 && pttl <= USER_KEYS_TTL, "index PTTL " + pttl);

        // A later write moves the idle deadline with its TTL (here one capped by the absolute deadline).
        long before2 = now();
        assertTrue(store.save(update(key, alice, before, Map.of("#a", Long.toString(before2)), 5_000)).isPresent());
        long after2 = now();
        score = score(alice, key.hash());
        assertTrue(score >= before2 + 5_000 && score <= after2 + 5_000, "deadline after update " + score);
        assertEquals(score, layout.deadline(key));

        // An anonymous session is in no index; there is no revocation marker yet.
        SessionKey anonymous = ids.keyOf(ids.newId());
        store.save(new SessionWrite(anonymous, null, true, Map.of("a:x", "s:1"), Set.of(), Map.of(), TTL, null, 0));
        assertEquals(List.of(indexKey(alice)), redis.scanKeys(prefix + "a:*"));
        assertEquals(List.of(), redis.scanKeys(prefix + "u:*"));
    }

    /** The index lives in the account: a sign-in neither puts a TTL on an account nor touches its fields. */
    @Test
    void signedInSave_ofAUserWithAnAccount_leavesTheAccountWithoutATtl() {
        RedisUserRepository users = new RedisUserRepository(client, prefix, USER_KEYS_TTL);
        assertTrue(users.create(new org.redsession.account.User("alice", "PBKDF2WithHmacSHA512:210000:c2FsdA==:aGFzaA==",
                Set.of("user"), 1_000)));
        Map<String, String> account = layout.hgetall(indexKey(alice));
        SessionKey key = signedIn(alice, now());

        assertEquals(-1, redis.ttl(indexKey(alice)), "the account got a TTL");
        Map<String, String> after = layout.hgetall(indexKey(alice));
        assertEquals(layout.deadline(key), Long.valueOf(after.remove("s:" + key.hash())));
        assertEquals(account, after);
        assertEquals("PBKDF2WithHmacSHA512:210000:c2FsdA==:aGFzaA==", users.find("alice").orElseThrow().passwordHash());

        assertTrue(store.delete(key, alice, "logout"));
        assertEquals(account, layout.hgetall(indexKey(alice)), "the sign-out left the account as it was");
    }

    @Test
    void signInOnAnAnonymousSessionInAnotherSlot_createsTheNewKey_andRetiresTheOldOneAsRotated() {
        SessionKey anonymous;
        do {
            anonymous = ids.keyOf(ids.newId());
        } while (anonymous.tag().equals(alice.tag()));
        long t = now();
        store.save(new SessionWrite(anonymous, null, true, Map.of("#c", Long.toString(t), "a:cart", "s:2 items"),
                Set.of(), Map.of(), TTL, null, 0));

        SessionKey key = keyFor(alice);
        Map<String, String> all = signedInFields(alice, t, t, "192.0.2.5", "UA");
        all.put("a:cart", "s:2 items");
        assertTrue(store.save(new SessionWrite(key, anonymous, true, all, Set.of(), Map.of(), TTL, alice, t)).isPresent());

        assertFalse(exists(sessionKey(anonymous)));
        assertEquals("rotated", redis.call("GET", tombstoneKey(anonymous)));
        assertEquals("rotated", store.load(anonymous).goneReason());
        assertEquals(all, withoutDeadline(store.load(key).fields()));
        assertEquals(List.of(key.hash()), indexed(alice));
    }

    @Test
    void rotationInTheUsersSlot_movesTheIndexEntry_andDeleteWithTheUserRemovesIt() {
        String id = ids.newIdFor(alice);
        SessionKey first = ids.keyOf(id);
        SessionKey second = ids.keyOf(ids.rotate(id));
        long t = now();
        assertTrue(store.save(signIn(first, alice, t, signedInFields(alice, t, t, null, null))).isPresent());

        assertTrue(store.save(new SessionWrite(second, first, false, Map.of("#t", "new-token"), Set.of(), Map.of(), TTL,
                alice, t)).isPresent());
        assertEquals(List.of(second.hash()), indexed(alice));
        assertEquals("rotated", store.load(first).goneReason());

        assertTrue(store.delete(second, alice, "logout"));
        assertEquals(List.of(), indexed(alice));
        assertFalse(exists(indexKey(alice)));
        assertEquals("logout", store.load(second).goneReason());
    }

    @Test
    void sessionsOf_returnsCreatedLastAccessIpAndUa_ofLiveSessions_andDropsEntriesWhoseSessionIsGone() {
        long t = now() - 60_000;
        SessionKey a1 = keyFor(alice);
        Map<String, String> f1 = signedInFields(alice, t, t, "192.0.2.1", "UA one");
        f1.put("#a", Long.toString(t + 1_000));
        assertTrue(store.save(signIn(a1, alice, t, f1)).isPresent());
        SessionKey a2 = keyFor(alice);
        Map<String, String> f2 = signedInFields(alice, t + 2_000, t + 2_000, null, null);
        f2.remove("#a"); // no access recorded: the creation time stands in
        assertTrue(store.save(signIn(a2, alice, t + 2_000, f2)).isPresent());
        SessionKey expired = signedIn(alice, t);
        redis.call("DEL", sessionKey(expired)); // the session hash's TTL fired; the index still names it
        SessionKey lingering = signedIn(alice, t);
        redis.call("HSET", sessionKey(lingering), "#e", Long.toString(now() - 1_000)); // past #e, not yet swept
        // Last: a sign-in drops the index entries whose deadline passed.
        SessionKey idle = signedIn(alice, t);
        redis.call("HSET", indexKey(alice), "s:" + idle.hash(), Long.toString(now() - 1_000)); // idle deadline passed
        SessionKey b1 = signedIn(bob, t);
        assertEquals(5, indexed(alice).size());

        List<SessionSummary> sessions = store.sessionsOf(alice);
        assertEquals(Set.of(new SessionSummary(a1.hash(), t, t + 1_000, "192.0.2.1", "UA one"),
                new SessionSummary(a2.hash(), t + 2_000, t + 2_000, null, null)), new HashSet<>(sessions));
        assertEquals(2, sessions.size());
        assertEquals(Set.of(a1.hash(), a2.hash()), new HashSet<>(indexed(alice)), "stale entries stay in the index");
        assertTrue(exists(sessionKey(lingering)), "listing deletes no session: the sweep announces it");

        assertEquals(List.of(b1.hash()), store.sessionsOf(bob).stream().map(SessionSummary::handle).toList());
        assertEquals(List.of(), store.sessionsOf(ids.userRef("carol")));
    }

    // ---- revoke ---------------------------------------------------------------------------------------------

    @Test
    void revoke_onlyEndsAHandleInThatUsersIndex_andLeavesARevokedTombstone() {
        UserRef[] sameSlot = twoUsersSharingATag();
        UserRef x = sameSlot[0];
        UserRef y = sameSlot[1];
        assertEquals(x.tag(), y.tag());
        long t = now();
        SessionKey kx = signedIn(x, t);
        SessionKey ky = signedIn(y, t);
        SessionKey kb = signedIn(bob, t);

        assertFalse(store.revoke(x, ky.hash(), "revoked"), "another user's session in the same slot");
        assertFalse(store.revoke(x, kb.hash(), "revoked"), "another user's session in another slot");
        assertFalse(store.revoke(x, "AAAAAAAAAAAAAAAA", "revoked"), "an unknown handle");
        assertTrue(store.load(ky).isFound());
        assertTrue(store.load(kb).isFound());
        assertFalse(exists(tombstoneKey(ky)));
        assertFalse(exists(tombstoneKey(kb)));
        assertFalse(exists(tombstoneKey(new SessionKey(x.tag(), kb.hash()))));
        assertNotNull(score(y, ky.hash()));
        assertNotNull(score(bob, kb.hash()));
        assertNotNull(score(x, kx.hash()));

        assertTrue(store.revoke(x, kx.hash(), "revoked"));
        Loaded loaded = store.load(kx);
        assertFalse(loaded.isFound());
        assertEquals("revoked", loaded.goneReason());
        assertEquals("revoked", redis.call("GET", tombstoneKey(kx)));
        long pttl = redis.ttl(tombstoneKey(kx));
        assertTrue(pttl > 0 && pttl <= TOMBSTONE_TTL, "tombstone PTTL " + pttl);
        assertNull(score(x, kx.hash()));
        assertFalse(store.revoke(x, kx.hash(), "revoked"), "a revoked session cannot be revoked again");
        assertTrue(store.load(ky).isFound());
    }

    // ---- revokeAll ------------------------------------------------------------------------------------------

    @Test
    void revokeAll_marksTheUser_deletesIndexedSessionsExceptKeep_andRefusesUnindexedSessionsSignedInBefore() {
        long t0 = now() - 60_000;
        long notBefore = t0 + 30_000;
        SessionKey s1 = signedIn(alice, t0);
        SessionKey s2 = signedIn(alice, t0 + 1_000);
        SessionKey keep = signedIn(alice, notBefore);
        SessionKey unindexed = signedIn(alice, t0 + 2_000);
        SessionKey unindexedAfter = signedIn(alice, notBefore);
        layout.unindex(alice, unindexed.hash(), unindexedAfter.hash()); // a stale index
        SessionKey other = signedIn(bob, t0);

        assertEquals(2, store.revokeAll(alice, notBefore, "password-changed", keep.hash()));

        assertEquals(notBefore + "|password-changed", redis.call("HGET", markerKey(alice.tag()), "alice"));
        long markerTtl = redis.ttl(markerKey(alice.tag()));
        assertTrue(markerTtl > USER_KEYS_TTL - 10_000 && markerTtl <= USER_KEYS_TTL, "marker PTTL " + markerTtl);
        for (SessionKey k : List.of(s1, s2)) {
            assertEquals("password-changed", store.load(k).goneReason());
            assertFalse(exists(sessionKey(k)));
            assertEquals("password-changed", redis.call("GET", tombstoneKey(k)));
        }
        assertTrue(exists(sessionKey(unindexed)), "the index missed it, so only the marker can refuse it");
        Loaded refused = store.load(unindexed);
        assertFalse(refused.isFound());
        assertEquals("password-changed", refused.goneReason());
        assertTrue(store.load(keep).isFound(), "keep");
        assertTrue(store.load(unindexedAfter).isFound(), "signed in at notBefore");
        assertTrue(store.load(other).isFound(), "another user");
        assertEquals(List.of(keep.hash()), indexed(alice));
        assertEquals(List.of(keep.hash()), store.sessionsOf(alice).stream().map(SessionSummary::handle).toList());

        // A sign-in at (or after) notBefore works and can be written again.
        SessionKey fresh = keyFor(alice);
        long now = now();
        assertTrue(store.save(signIn(fresh, alice, notBefore, signedInFields(alice, now, notBefore, null, null)))
                .isPresent());
        assertTrue(store.save(update(fresh, alice, notBefore, Map.of("a:x", "s:1"), TTL)).isPresent());
        assertEquals("s:1", store.load(fresh).fields().get("a:x"));
    }

    @Test
    void save_ofARevokedSession_isEmpty_andWritesNothing() {
        long t0 = now() - 60_000;
        long notBefore = t0 + 30_000;
        SessionKey indexed = signedIn(alice, t0);
        String unindexedId = ids.newIdFor(alice);
        SessionKey unindexed = ids.keyOf(unindexedId);
        assertTrue(store.save(signIn(unindexed, alice, t0, signedInFields(alice, t0, t0, null, null))).isPresent());
        layout.unindex(alice, unindexed.hash());
        store.revokeAll(alice, notBefore, "revoked", null);
        Object fieldsBefore = redis.call("HLEN", sessionKey(unindexed));

        assertEquals(Optional.empty(), store.save(update(indexed, alice, t0, Map.of("a:late", "s:x"), TTL)));
        assertFalse(exists(sessionKey(indexed)), "a deleted session was written back");
        assertEquals(Optional.empty(), store.save(update(unindexed, alice, t0, Map.of("a:late", "s:x"), TTL)));
        assertNull(redis.call("HGET", sessionKey(unindexed), "a:late"), "a revoked session was written");
        SessionKey rotated = ids.keyOf(ids.rotate(unindexedId));
        assertEquals(Optional.empty(), store.save(new SessionWrite(rotated, unindexed, false, Map.of(), Set.of(),
                Map.of(), TTL, alice, t0)));
        assertFalse(exists(sessionKey(rotated)));
        assertTrue(exists(sessionKey(unindexed)), "a refused rotation retired the old key");
        assertEquals(fieldsBefore, redis.call("HLEN", sessionKey(unindexed)));

        // A sign-in begun before the revocation (its sign-in time is earlier) creates nothing.
        SessionKey late = keyFor(alice);
        assertEquals(Optional.empty(), store.save(signIn(late, alice, notBefore - 1,
                signedInFields(alice, notBefore - 1, notBefore - 1, null, null))));
        assertFalse(exists(sessionKey(late)));
        assertEquals(List.of(), indexed(alice));
    }

    @Test
    void revokeAll_ofOneUser_leavesAnotherUserInTheSameSlotAlone() {
        UserRef[] sameSlot = twoUsersSharingATag();
        long t0 = now() - 60_000;
        SessionKey kx = signedIn(sameSlot[0], t0);
        SessionKey ky = signedIn(sameSlot[1], t0);

        assertEquals(1, store.revokeAll(sameSlot[0], t0 + 30_000, "admin", null));
        assertEquals("admin", store.load(kx).goneReason());
        assertTrue(store.load(ky).isFound());
        assertTrue(store.save(update(ky, sameSlot[1], t0, Map.of("a:x", "s:1"), TTL)).isPresent());
        assertEquals(List.of(ky.hash()), indexed(sameSlot[1]));
    }

    @Test
    void revokeAll_of1000IndexedSessions_deletesThemAllInSlices() throws Exception {
        store = store(10_000);
        UserRef many = ids.userRef("many");
        // Warm the script cache, so the calls measured below are one EVALSHA each.
        UserRef warm = ids.userRef("warm-up");
        signedIn(warm, now() - 1_000);
        assertEquals(1, store.revokeAll(warm, now(), "warm-up", null));

        long loginTime = now() - 10_000;
        ConcurrentLinkedQueue<SessionKey> keys = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                final int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = thread; i < 1000; i += 8) {
                        keys.add(signedIn(many, loginTime));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1000, keys.size());
        assertEquals(1000, indexed(many).size());
        SessionKey keep = keys.peek();
        // What the sign-ins wrote without waiting (expiry-index entries, counts) is in before measuring.
        layout.awaitExpiryEntries(1001);
        assertCountSignedIn(1000, "after 1,000 sign-ins");

        Map<String, Long> before = redis.commandCalls();
        long start = System.nanoTime();
        int deleted = store.revokeAll(many, now(), "admin", keep.hash());
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertCountSignedIn(1, "after revoking 999 of them");
        Map<String, Long> after = redis.commandCalls();
        System.out.println("revokeAll of 1,000 indexed sessions took " + elapsedMs + " ms");

        assertEquals(999, deleted);
        assertEquals(4, scriptCalls(before, after),
                "one marker script, two slices of at most 500 and one update of the count");
        assertEquals(List.of(keep.hash()), indexed(many));
        int gone = 0;
        for (SessionKey k : keys) {
            if (!k.equals(keep)) {
                assertFalse(exists(sessionKey(k)));
                assertEquals("admin", redis.call("GET", tombstoneKey(k)));
                gone++;
            }
        }
        assertEquals(999, gone);
        assertTrue(exists(sessionKey(keep)), "keep was deleted");
        assertFalse(exists(tombstoneKey(keep)));
    }

    // ---- per-user limit -------------------------------------------------------------------------------------

    @Test
    void maxPerUser_50ConcurrentSignInsFrom8Threads_leaveExactly2Live_and48EvictedTombstones() throws Exception {
        RedissonSessionStore limited = store(2);
        AtomicInteger remaining = new AtomicInteger(50);
        ConcurrentLinkedQueue<SessionKey> created = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Callable<Void> worker = () -> {
                    start.await();
                    while (remaining.getAndDecrement() > 0) {
                        created.add(signedIn(limited, alice, now()));
                    }
                    return null;
                };
                futures.add(pool.submit(worker));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(50, created.size());
        Set<String> live = new HashSet<>();
        int evicted = 0;
        List<String> otherReasons = new ArrayList<>();
        for (SessionKey k : created) {
            Loaded loaded = limited.load(k);
            if (loaded.isFound()) {
                live.add(k.hash());
            } else if ("evicted".equals(loaded.goneReason())) {
                evicted++;
                assertEquals("evicted", redis.call("GET", tombstoneKey(k)));
            } else {
                otherReasons.add(loaded.goneReason());
            }
        }
        assertEquals(List.of(), otherReasons);
        assertEquals(2, live.size(), "live sessions");
        assertEquals(48, evicted, "evicted tombstones");
        assertEquals(live, new HashSet<>(indexed(alice)));
        assertCountSignedIn(2, "50 sign-ins, 48 evicted");
    }

    /**
     * The session being signed in is the most recently active one: the limit must end others. Its index score is
     * its idle deadline, which is short when its TTL is capped by the absolute deadline (an anonymous session created
     * long ago) or by a short max inactive interval.
     */
    @Test
    void maxPerUser_neverEvictsTheSessionBeingSignedIn_evenWhenItsTtlIsShort() {
        RedissonSessionStore limited = store(2);
        long t = now();
        SessionKey older = signedIn(limited, alice, t - 2_000);
        SessionKey newer = signedIn(limited, alice, t - 1_000);

        SessionKey key = keyFor(alice);
        Optional<Map<String, String>> saved = limited.save(new SessionWrite(key, null, true,
                signedInFields(alice, t - ABSOLUTE + 60_000, t, null, null), Set.of(), Map.of(), 60_000, alice, t));

        assertTrue(saved.isPresent(), "the sign-in was refused");
        Loaded loaded = limited.load(key);
        assertTrue(loaded.isFound(), "the session just signed in was ended at once as '" + loaded.goneReason()
                + "' while older sessions of the user live on");
        long othersLive = List.of(older, newer).stream().filter(k -> limited.load(k).isFound()).count();
        assertEquals(1, othersLive, "one of the two older sessions ends");
    }

    /**
     * Redis fails between the sign-in's save and the delete of the sessions the limit ends (a timeout): the sign-in
     * stands, the sessions to end stay in the index, and the next sign-in ends them.
     */
    @Test
    void maxPerUser_anEvictionWhoseDeleteFails_isDoneByTheNextSignIn() {
        RedissonSessionStore limited = store(2);
        RedissonSessionStore deletesFail = new RedissonSessionStore(client, prefix, TOMBSTONE_TTL, USER_KEYS_TTL, 2) {
            @Override
            int deleteMany(UserRef user, List<String> handles, String reason, boolean count) {
                throw new SessionStoreUnavailableException("Redis is unavailable: RedisTimeoutException", null);
            }
        };
        SessionKey first = signedIn(limited, alice, nextMillis());
        SessionKey second = signedIn(limited, alice, nextMillis());
        SessionKey third = signedIn(deletesFail, alice, nextMillis());

        assertTrue(limited.load(third).isFound());
        assertTrue(limited.load(first).isFound(), "the eviction's delete did not fail: the sign-in of 'third' ended "
                + "'first' (" + limited.load(first).goneReason() + ") without going through the overridden deleteMany");
        assertEquals(Set.of(first.hash(), second.hash(), third.hash()), new HashSet<>(indexed(alice)),
                "the session the limit ends is still indexed");

        assertCountSignedIn(3, "the eviction failed: nothing ended yet");

        SessionKey fourth = signedIn(limited, alice, nextMillis());
        assertEquals("evicted", limited.load(first).goneReason());
        assertEquals("evicted", limited.load(second).goneReason());
        assertEquals(Set.of(third.hash(), fourth.hash()), new HashSet<>(indexed(alice)));
        assertCountSignedIn(2, "4 sign-ins, 2 evicted");
    }

    /** The clock's next millisecond, so that index scores (idle deadlines) order the sign-ins. */
    private static long nextMillis() {
        long t = now();
        while (now() == t) {
            Thread.onSpinWait();
        }
        return now();
    }

    // ---- counting, TTLs -------------------------------------------------------------------------------------

    @Test
    void countSignedIn_countsSignInsOnce_andTheirEnds_inAFixedNumberOfReads() {
        assertEquals(0, store.countSignedIn());
        long t = now();
        List<SessionKey> aliceKeys = List.of(signedIn(alice, t), signedIn(alice, t), signedIn(alice, t));
        signedIn(bob, t);
        SessionKey bob2 = signedIn(bob, t);
        redis.call("HSET", indexKey(alice), "s:AAAAAAAAAAAAAAAA", Long.toString(now() - 1_000)); // a stale entry
        assertCountSignedIn(5, "3 of alice, 2 of bob");
        assertEquals(5, layout.countKeysTotal());

        // Neither anonymous sessions nor further writes of a signed-in session count.
        SessionKey anonymous = ids.keyOf(ids.newId());
        store.save(new SessionWrite(anonymous, null, true, Map.of("a:cart", "s:1"), Set.of(), Map.of(), TTL, null, 0));
        assertTrue(store.save(update(aliceKeys.get(1), alice, t, Map.of("a:x", "s:1"), TTL)).isPresent());
        assertTrue(store.save(update(aliceKeys.get(1), alice, t, Map.of("a:x", "s:2"), TTL)).isPresent());
        SessionKey rotatedBob = new SessionKey(bob2.tag(), ids.keyOf(ids.newIdFor(bob)).hash());
        assertTrue(store.save(new SessionWrite(rotatedBob, bob2, false, Map.of("#t", "t"), Set.of(), Map.of(), TTL, bob,
                t)).isPresent());
        assertCountSignedIn(5, "after an anonymous session, updates and a rotation of signed-in sessions");

        // A sign-in carrying an anonymous session into the user's slot counts once.
        SessionKey carried = keyFor(alice);
        assertTrue(store.save(new SessionWrite(carried, anonymous, true, signedInFields(alice, t, t, null, null),
                Set.of(), Map.of(), TTL, alice, t)).isPresent());
        assertCountSignedIn(6, "after a sign-in of an anonymous session");
        // A sign-in in the slot (a rotation of an anonymous session into a signed-in one) counts once.
        String anonymousInSlot = ids.newIdIn(alice.tag());
        SessionKey inSlot = ids.keyOf(anonymousInSlot);
        store.save(new SessionWrite(inSlot, null, true, Map.of("a:cart", "s:1"), Set.of(), Map.of(), TTL, null, 0));
        SessionKey signedInSlot = ids.keyOf(ids.rotate(anonymousInSlot));
        assertTrue(store.save(new SessionWrite(signedInSlot, inSlot, false, signedInFields(alice, t, t, null, null),
                Set.of(), Map.of(), TTL, alice, t)).isPresent());
        assertCountSignedIn(7, "after a sign-in rotating an anonymous session in the slot");

        assertTrue(store.revoke(alice, aliceKeys.get(0).hash(), "revoked"));
        assertCountSignedIn(6, "after a revocation");
        assertFalse(store.revoke(alice, aliceKeys.get(0).hash(), "revoked"));
        assertFalse(store.revoke(alice, "AAAAAAAAAAAAAAAA", "revoked"));
        assertEquals(2, store.revokeAll(bob, now(), "admin", null));
        assertCountSignedIn(4, "after revoking bob's 2");
        assertTrue(store.delete(aliceKeys.get(1), alice, "logout"));
        assertFalse(store.delete(aliceKeys.get(1), alice, "logout"));
        assertCountSignedIn(3, "after a sign-out (and a second one of the same session)");

        // The total is read from 16 keys, whatever the number of users.
        Map<String, Long> before = redis.commandCalls();
        store.countSignedIn();
        Map<String, Long> after = redis.commandCalls();
        assertEquals(16, after.getOrDefault("get", 0L) - before.getOrDefault("get", 0L));
    }

    @Test
    void aSignInThatMovesAnAnonymousSession_isRefused_whenThatSessionEndedMeanwhile() {
        long t = now();
        SessionKey anonymous = ids.keyOf(ids.newId());
        store.save(new SessionWrite(anonymous, null, true, Map.of("a:cart", "s:3 items"), Set.of(), Map.of(), TTL, null, 0));
        assertTrue(store.delete(anonymous, null, "logout"), "signed out elsewhere while the sign-in checked the password");

        SessionKey moved = ids.keyOf(ids.newIdFor(alice));
        Map<String, String> fields = new HashMap<>(signedInFields(alice, t, t, "192.0.2.9", "UA"));
        fields.put("a:cart", "s:3 items");
        assertEquals(Optional.empty(), store.save(new SessionWrite(moved, anonymous, true, fields, Set.of(), Map.of(), TTL,
                alice, t)), "nothing of an ended session is carried into a signed-in one");
        assertEquals(0L, redis.call("EXISTS", prefix + "s:{" + moved.tag() + "}" + moved.hash()));
        assertEquals("logout", store.load(anonymous).goneReason(), "the ended session keeps its reason");
        assertEquals(List.of(), store.sessionsOf(alice));
    }

    /**
     * Like above, when the anonymous session passed its deadline while the sign-in ran: it is expired (load and save
     * say so) and only lingers for the expiry sweep, so nothing of it may be carried into a signed-in session, and
     * it must not be retired as "rotated" (the sweep announces it as expired).
     */
    @Test
    void aSignInThatMovesAnAnonymousSession_isRefused_whenThatSessionPassedItsDeadline() {
        long t = now();
        SessionKey anonymous;
        do {
            anonymous = ids.keyOf(ids.newId());
        } while (anonymous.tag().equals(alice.tag()));
        SessionKey anon = anonymous;
        store.save(new SessionWrite(anon, null, true, Map.of("a:cart", "s:3 items"), Set.of(), Map.of(), 300, null, 0));
        Poll.until(Duration.ofSeconds(5), "the anonymous session to pass its deadline",
                () -> "expired".equals(store.load(anon).goneReason()));
        assertTrue(exists(sessionKey(anon)), "it lingers for the sweep");

        SessionKey moved = ids.keyOf(ids.newIdFor(alice));
        Map<String, String> fields = new HashMap<>(signedInFields(alice, t, t, "192.0.2.9", "UA"));
        fields.put("a:cart", "s:3 items");
        assertEquals(Optional.empty(), store.save(new SessionWrite(moved, anon, true, fields, Set.of(), Map.of(), TTL,
                alice, t)), "an expired session was carried into a signed-in one");
        assertFalse(exists(sessionKey(moved)));
        assertEquals("expired", store.load(anon).goneReason());
        assertFalse(exists(tombstoneKey(anon)), "the expired session was retired as '" + redis.call("GET",
                tombstoneKey(anon)) + "'");
        assertTrue(exists(sessionKey(anon)), "the expired session was deleted before the sweep could announce it");
        assertEquals(List.of(), store.sessionsOf(alice));
    }

    @Test
    void everyKeyWritten_sessionsTombstonesIndexesAndMarkers_hasATtl() {
        RedissonSessionStore limited = store(2);
        long t = now() - 5_000;
        // An anonymous session moved into alice's slot by a sign-in.
        SessionKey anonymous = ids.keyOf(ids.newId());
        limited.save(new SessionWrite(anonymous, null, true, Map.of("a:x", "s:1"), Set.of(), Map.of(), TTL, null, 0));
        String id = ids.newIdFor(alice);
        SessionKey a1 = ids.keyOf(id);
        assertTrue(limited.save(new SessionWrite(a1, anonymous, true, signedInFields(alice, t, t, "192.0.2.9", "UA"),
                Set.of(), Map.of(), TTL, alice, t)).isPresent());
        // Rotation in the slot, an update, two more sign-ins (one eviction), a sign-out.
        SessionKey a1b = ids.keyOf(ids.rotate(id));
        assertTrue(limited.save(new SessionWrite(a1b, a1, false, Map.of("#t", "x"), Set.of(), Map.of(), TTL, alice, t))
                .isPresent());
        assertTrue(limited.save(new SessionWrite(a1b, null, false, Map.of("a:y", "s:2"), Set.of(), Map.of("a:n", 1L),
                TTL, alice, t)).isPresent());
        signedIn(limited, alice, t + 1);
        SessionKey a3 = signedIn(limited, alice, t + 2);
        assertTrue(limited.delete(a3, alice, "logout"));
        // bob: revoke one, revoke all.
        SessionKey b1 = signedIn(limited, bob, t);
        signedIn(limited, bob, t);
        assertTrue(limited.revoke(bob, b1.hash(), "revoked"));
        limited.revokeAll(bob, now(), "admin", null);
        limited.sessionsOf(alice);
        limited.countSignedIn();
        // The new keys' expiry-index entries (anonymous, a1, a1b, 2 + 2 more sign-ins) and the counts are written
        // without waiting.
        layout.awaitExpiryEntries(7);
        assertCountSignedIn(1, "alice: 4 sign-ins, 2 of them evicted, 1 signed out; bob's ended");

        long linger = RedissonSessionStore.lingerFor(Duration.ofSeconds(10));
        List<String> keys = redis.scanKeys(prefix + "*");
        Set<String> kinds = new HashSet<>();
        for (String k : keys) {
            long pttl = redis.ttl(k);
            assertTrue(pttl > 0, k + " has PTTL " + pttl);
            String rest = k.substring(prefix.length());
            String kind = k.endsWith(":gone") ? "tombstone" : k.endsWith("}nb") ? "marker"
                    : rest.startsWith("a:{") ? "index" : rest.matches("x:\\{x\\d+\\}:n") ? "count"
                    : rest.matches("x:\\{x\\d+\\}:\\d+") ? "expiry" : rest.startsWith("s:{") ? "session" : k;
            long limit = switch (kind) {
                case "tombstone" -> TOMBSTONE_TTL;
                case "session" -> TTL + linger;
                case "index", "marker" -> USER_KEYS_TTL;
                case "expiry" -> TTL + ExpiryIndex.BUCKET_MS + linger + 60_000;
                case "count" -> USER_KEYS_TTL + linger + 3_600_000L;
                default -> throw new AssertionError("a key of an unknown kind: " + k);
            };
            assertTrue(pttl <= limit, k + " has PTTL " + pttl + " beyond " + limit);
            kinds.add(kind);
        }
        assertEquals(Set.of("session", "tombstone", "index", "marker", "expiry", "count"), kinds, keys.toString());
        assertTrue(keys.contains(indexKey(alice)));
        assertTrue(keys.contains(markerKey(bob.tag())));
        assertNotEquals(0, keys.size());
    }

    // ---- through RequestSession ---------------------------------------------------------------------------

    private SessionManager manager(RedissonSessionStore s) {
        return new SessionManager(s, ids, new AttributeCodec(Map.of()), new SessionPolicy(Duration.ofMinutes(30),
                Duration.ofMillis(ABSOLUTE), Duration.ofSeconds(60), 16384, 65536), SessionEvents.NONE,
                Clock.systemUTC(), "__Host-SID");
    }

    private static String cookieSet(RequestSession rs) {
        CookieChange change = rs.commit();
        assertTrue(change instanceof CookieChange.Set, "expected a new cookie, got " + change);
        return ((CookieChange.Set) change).value();
    }

    private static String login(SessionManager m, List<String> cookies, String username) {
        RequestSession rs = m.open(cookies);
        rs.login(username, Set.of("user"), "192.0.2.1", "UA");
        return cookieSet(rs);
    }

    private SessionKey keyOfCookie(String cookie) {
        return ids.keyOf(ids.verify(cookie).orElseThrow());
    }

    @Test
    void requestSession_loginMovesTheSessionIntoTheUsersSlot_andRevokeOthersEndsEveryOtherSession() {
        SessionManager m = manager(store);
        String anonymous;
        do {
            RequestSession rs = m.open(List.of());
            rs.getOrCreate().setAttribute("cart", "2 items");
            anonymous = cookieSet(rs);
        } while (keyOfCookie(anonymous).tag().equals(alice.tag()));

        String phone = login(m, List.of(anonymous), "alice");
        assertEquals(alice.tag(), ids.keyOf(ids.verify(phone).orElseThrow()).tag(), "the new id is in the user's slot");
        assertEquals("rotated", store.load(keyOfCookie(anonymous)).goneReason());
        assertEquals("rotated", redis.call("GET", tombstoneKey(keyOfCookie(anonymous))));
        assertEquals("2 items", m.open(List.of(phone)).current().getAttribute("cart"));
        String laptop = login(m, List.of(), "alice");
        String tablet = login(m, List.of(), "alice");
        String bobs = login(m, List.of(), "bob");
        assertEquals(3, m.sessionsOf("alice").size());
        assertCountSignedIn(4, "3 of alice (the anonymous session is no longer counted: it became one), 1 of bob");

        RequestSession rs = m.open(List.of(laptop));
        assertEquals(2, rs.revokeOthers("password-changed"));
        String kept = cookieSet(rs);

        assertNotEquals(laptop, kept);
        RequestSession current = m.open(List.of(kept));
        assertEquals(Status.AUTHENTICATED, current.status());
        assertEquals("alice", current.identity().orElseThrow().username());
        assertEquals("rotated", m.open(List.of(laptop)).goneReason());
        for (String other : List.of(phone, tablet)) {
            RequestSession o = m.open(List.of(other));
            assertEquals(Status.ENDED, o.status());
            assertEquals("password-changed", o.goneReason());
        }
        assertEquals(Status.AUTHENTICATED, m.open(List.of(bobs)).status());
        assertEquals(List.of(keyOfCookie(kept).hash()), indexed(alice));
        assertEquals(List.of(SessionManager.handleOf(keyOfCookie(kept))),
                m.sessionsOf("alice").stream().map(SessionSummary::handle).toList());
        assertCountSignedIn(2, "1 of alice, 1 of bob");
    }

    /** A session signed in as bob that signs in as alice is no longer bob's: it must leave bob's index. */
    @Test
    void requestSession_signInAsAnotherUser_leavesNoEntryInThePreviousUsersIndex() {
        SessionManager m = manager(store);
        String bobs = login(m, List.of(), "bob");
        assertEquals(1, m.sessionsOf("bob").size());
        assertCountSignedIn(1, "bob's");

        String alices = login(m, List.of(bobs), "alice");
        assertEquals("logout", m.open(List.of(bobs)).goneReason(), "another user signing in ends the previous session");
        assertEquals("alice", m.open(List.of(alices)).identity().orElseThrow().username());

        assertEquals(List.of(), indexed(bob), "bob has no live session left; his index still names them");
        assertEquals(List.of(), m.sessionsOf("bob"));
        assertCountSignedIn(1, "alice's; bob's ended");
    }
}
