package org.redsession.session.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redsession.account.User;
import org.redsession.session.AuditEvent;
import org.redsession.session.ClientRef;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionKey;
import org.redsession.session.SessionStore.ExpiredSession;
import org.redsession.session.SessionWrite;
import org.redsession.session.UserRef;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;

/**
 * The expiry index of {@link RedissonSessionStore} ({@link ExpiryIndex}) against a real redis-server: every session
 * that ends by timeout is announced once, by one of the instances that sweep, when the bucket of its deadline has
 * settled; sessions that end otherwise never are; the count of signed-in sessions follows.
 *
 * <p>Buckets are {@value ExpiryIndex#BUCKET_MS} ms wide and swept {@value ExpiryIndex#SETTLE_MS} ms after they end, so
 * a test that waits for a bucket to come due by itself waits up to that long. Most tests instead write their sessions
 * with deadlines a moment ahead, let the deadlines pass, and move the index entries into a bucket that is already due
 * ({@link Layout#backdateAll}), as if the sessions had been indexed a bucket ago.
 */
class ExpiryIndexTest {

    private static final long TOMBSTONE_TTL = 120_000;
    private static final long USER_KEYS_TTL = 8 * 3_600_000L;
    /**
     * Long enough for a bucket to come due by itself (a bucket, its settling) and for a slow sweep, and for entries
     * moved up to three buckets back ({@link Layout#backdateAll(int)}) to be read.
     */
    private static final long LINGER = 5 * ExpiryIndex.BUCKET_MS + ExpiryIndex.SETTLE_MS + 10_000;
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private static RedisServer redis;
    private static RedissonClient client;
    private static RedissonClient otherClient;

    private final SessionIds ids = new SessionIds(List.of("expiry-test-secret-0123456789abcdef".getBytes(
            StandardCharsets.US_ASCII)));
    private final UserRef alice = ids.userRef("alice");
    private final UserRef bob = ids.userRef("bob");
    private String prefix;
    private Layout layout;
    private RedissonSessionStore store;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        client = redisson();
        otherClient = redisson();
    }

    private static RedissonClient redisson() {
        return TestRedisson.client(redis);
    }

    /** Whatever the tests left: every key has a TTL except accounts with a password and the user directory. */
    @AfterAll
    static void everyKeyLeftHasATtl_andStopRedis() {
        try {
            if (redis != null) {
                List<String> without = new ArrayList<>();
                for (Object k : (List<?>) redis.call("KEYS", "*")) {
                    String key = (String) k;
                    if (redis.ttl(key) < 0 && !persists(key)) {
                        without.add(key);
                    }
                }
                assertEquals(List.of(), without, "keys without a TTL");
            }
        } finally {
            for (RedissonClient c : new RedissonClient[] {client, otherClient}) {
                if (c != null) {
                    c.shutdown();
                }
            }
            if (redis != null) {
                redis.stop();
            }
        }
    }

    /** An account that has a password, or a directory shard: the only keys that live without a TTL. */
    private static boolean persists(String key) {
        String rest = key.substring(key.indexOf(':') + 1);
        if (rest.startsWith("a:{")) {
            return Long.valueOf(1).equals(redis.call("HEXISTS", key, "pw"));
        }
        return rest.matches("d:\\{d\\d+\\}") && "zset".equals(redis.call("TYPE", key));
    }

    @BeforeEach
    void newPrefix() {
        prefix = "exp" + PREFIXES.incrementAndGet() + ":";
        layout = new Layout(redis, prefix);
        store = store(client, 10);
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static Set<String> expiredHandles(List<AuditEvent> trail) {
        Set<String> handles = new HashSet<>();
        for (AuditEvent e : trail) {
            assertEquals(AuditEvent.EXPIRED, e.event());
            assertEquals("system", e.actor());
            assertEquals("expired", e.reason());
            handles.add(e.handle());
        }
        return handles;
    }

    private RedissonSessionStore store(RedissonClient c, int maxPerUser) {
        return new RedissonSessionStore(c, prefix, TOMBSTONE_TTL, USER_KEYS_TTL, maxPerUser, 0, 1, LINGER);
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    /** What a sweep handed over, in order, with the time each session was first announced. */
    private static final class Announcements implements Consumer<ExpiredSession> {
        private final List<ExpiredSession> seen = Collections.synchronizedList(new ArrayList<>());
        private final Map<SessionKey, Long> firstAt = new ConcurrentHashMap<>();

        @Override
        public void accept(ExpiredSession e) {
            seen.add(e);
            firstAt.putIfAbsent(e.key(), now());
        }

        int size() {
            return seen.size();
        }

        List<ExpiredSession> of(SessionKey key) {
            synchronized (seen) {
                return seen.stream().filter(e -> e.key().equals(key)).toList();
            }
        }

        ExpiredSession only(SessionKey key) {
            List<ExpiredSession> found = of(key);
            assertEquals(1, found.size(), key + " was announced " + found.size() + " times: " + found);
            return found.get(0);
        }

        Map<SessionKey, Integer> timesByKey() {
            Map<SessionKey, Integer> times = new HashMap<>();
            synchronized (seen) {
                for (ExpiredSession e : seen) {
                    times.merge(e.key(), 1, Integer::sum);
                }
            }
            return times;
        }

        long at(SessionKey key) {
            return firstAt.get(key);
        }
    }

    /** Sweeps (as {@code owner}) until {@code done} holds; returns what the sweeps reported as announced. */
    private static int sweepUntil(RedissonSessionStore s, String owner, Announcements into, BooleanSupplier done,
            Duration timeout, String what) {
        int[] announced = {0};
        Poll.until(timeout, what, () -> {
            announced[0] += s.sweepExpired(owner, into);
            return done.getAsBoolean();
        });
        return announced[0];
    }

    private Map<String, String> signInFields(UserRef user, long t, Map<String, String> attributes) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("#c", Long.toString(t));
        f.put("#u", user.username());
        f.put("#r", "user");
        f.put("#l", Long.toString(t));
        f.putAll(attributes);
        return f;
    }

    private SessionKey signedIn(RedissonSessionStore s, UserRef user, long ttl, Map<String, String> attributes) {
        SessionKey key = ids.keyOf(ids.newIdFor(user));
        long t = now();
        assertTrue(s.save(new SessionWrite(key, null, true, signInFields(user, t, attributes), Set.of(), Map.of(), ttl,
                user, t)).isPresent());
        return key;
    }

    private SessionKey signedIn(UserRef user, long ttl, Map<String, String> attributes) {
        return signedIn(store, user, ttl, attributes);
    }

    private SessionKey anonymous(long ttl, Map<String, String> attributes) {
        SessionKey key = ids.keyOf(ids.newId());
        Map<String, String> f = new LinkedHashMap<>();
        f.put("#c", Long.toString(now()));
        f.putAll(attributes);
        assertTrue(store.save(new SessionWrite(key, null, true, f, Set.of(), Map.of(), ttl, null, 0)).isPresent());
        return key;
    }

    private boolean update(SessionKey key, UserRef user, long ttl, Map<String, String> set) {
        return store.save(new SessionWrite(key, null, false, set, Set.of(), Map.of(), ttl, user, user == null ? 0 : 1))
                .isPresent();
    }

    /** Waits until every one of these sessions is past its deadline #e (they linger, unreadable). */
    private void awaitPastDeadline(Map<SessionKey, Long> deadlines) {
        long last = Collections.max(deadlines.values());
        Poll.until(Duration.ofSeconds(10), "the deadlines to pass", () -> now() > last);
        for (SessionKey k : deadlines.keySet()) {
            assertEquals("expired", store.load(k).goneReason(), k + " past its deadline");
            assertTrue(layout.exists(layout.session(k)), k + " lingers for the sweep");
        }
    }

    private Map<SessionKey, Long> deadlines(SessionKey... keys) {
        Map<SessionKey, Long> d = new LinkedHashMap<>();
        for (SessionKey k : keys) {
            Long e = layout.deadline(k);
            assertTrue(e != null, k + " has no deadline #e");
            d.put(k, e);
        }
        return d;
    }

    private void awaitCountSignedIn(RedissonSessionStore s, long expected, String what) {
        Poll.until(Duration.ofSeconds(10), "countSignedIn() == " + expected + " " + what,
                () -> s.countSignedIn() == expected);
        long until = now() + 300;
        while (now() < until) {
            assertEquals(expected, s.countSignedIn(), what);
            Thread.onSpinWait();
        }
    }

    /** Runs expiry-claim.lua as a sweeper would, e.g. one that dies before it announces what it claimed. */
    private List<Object> claim(SessionKey key, String username, String token, long now, long claimDeadline) {
        String owner = username == null ? layout.session(key) : layout.account(username);
        return client.getScript(StringCodec.INSTANCE).eval(RScript.Mode.READ_WRITE, Scripts.EXPIRY_CLAIM,
                RScript.ReturnType.LIST, List.of(layout.session(key), layout.tombstone(key), owner), key.hash(), token,
                Long.toString(now), Long.toString(claimDeadline), Long.toString(TOMBSTONE_TTL));
    }

    private String tombstone(SessionKey key) {
        return (String) redis.call("GET", layout.tombstone(key));
    }

    // ---- announced once, when due ---------------------------------------------------------------------------

    /** The whole path in real time: a session is announced once its deadline's bucket ended and settled. */
    @Test
    void eachExpiredSession_isAnnouncedOnce_withItsUserAndFields_whenTheBucketOfItsDeadlineHasSettled() {
        SessionKey a1 = signedIn(alice, 300, Map.of("a:cart", "s:2 items"));
        SessionKey a2 = signedIn(alice, 700, Map.of());
        SessionKey b1 = signedIn(bob, 1_000, Map.of("a:n", "i:3"));
        SessionKey n1 = anonymous(500, Map.of("a:x", "s:1"));
        SessionKey n2 = anonymous(800, Map.of("a:y", "s:2", "#i", "1"));
        Map<SessionKey, String> users = new HashMap<>();
        users.put(a1, "alice");
        users.put(a2, "alice");
        users.put(b1, "bob");
        users.put(n1, null);
        users.put(n2, null);
        layout.awaitExpiryEntries(5);
        awaitCountSignedIn(store, 3, "2 of alice, 1 of bob");
        Map<SessionKey, Long> deadlines = deadlines(a1, a2, b1, n1, n2);
        Map<SessionKey, Map<String, String>> stored = new HashMap<>();
        for (SessionKey k : users.keySet()) {
            stored.put(k, layout.hgetall(layout.session(k)));
            // One entry, in the list of its shard and of its deadline's bucket.
            String entry = Layout.entry(k, users.get(k));
            assertEquals(List.of(layout.expiryList(Layout.bucket(deadlines.get(k)))), layout.whereIndexed(entry),
                    "where " + entry + " is indexed");
        }

        Announcements seen = new Announcements();
        long lastDue = deadlines.values().stream().mapToLong(Layout::dueAt).max().orElseThrow();
        int reported = sweepUntil(store, "node-a", seen, () -> seen.size() >= 5,
                Duration.ofMillis(lastDue - now() + 15_000), "5 sessions announced");

        assertEquals(5, reported);
        assertEquals(5, seen.size());
        for (SessionKey k : users.keySet()) {
            ExpiredSession e = seen.only(k);
            assertEquals(users.get(k), e.username(), "user of " + k);
            assertEquals(stored.get(k), e.fields(), "fields of " + k);
            assertTrue(seen.at(k) >= Layout.dueAt(deadlines.get(k)), k + " announced at " + seen.at(k)
                    + ", before its bucket settled at " + Layout.dueAt(deadlines.get(k)));
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(0, store.sweepExpired("node-a", seen));
        }
        assertEquals(5, seen.size());
        for (SessionKey k : users.keySet()) {
            assertFalse(layout.exists(layout.session(k)));
            assertEquals("expired", tombstone(k), "acknowledged");
            long pttl = redis.ttl(layout.tombstone(k));
            assertTrue(pttl > 0 && pttl <= TOMBSTONE_TTL, "tombstone PTTL " + pttl);
            assertEquals("expired", store.load(k).goneReason());
        }
        assertEquals(List.of(), layout.indexed(alice));
        assertEquals(List.of(), layout.indexed(bob));
        assertEquals(0, layout.expiryEntryCount(), "the swept buckets are empty");
        // Each signed-in session's expiry is in its user's audit trail, once, written by the claim itself.
        assertEquals(Set.of(a1.hash(), a2.hash()), expiredHandles(store.activity(alice)));
        assertEquals(2, store.activity(alice).size());
        assertEquals(Set.of(b1.hash()), expiredHandles(store.activity(bob)));
        awaitCountSignedIn(store, 0, "after the expiry of all three signed-in sessions");
    }

    /**
     * A session used after it was indexed keeps its entry; when the old bucket comes due the sweep finds it live and
     * moves the entry to the bucket of its current deadline, where it is announced.
     */
    @Test
    void aSessionUsedAfterItWasIndexed_isNotAnnouncedAtItsOldDeadline_butWhenItsNewOneIsDue() {
        SessionKey key = anonymous(300, Map.of("a:x", "s:1"));
        String entry = Layout.entry(key, null);
        layout.awaitExpiryEntries(1);
        long oldDeadline = layout.deadline(key);
        assertTrue(update(key, null, 8_000, Map.of("a:seen", "s:again")), "used again before its deadline");
        long newDeadline = layout.deadline(key);
        assertTrue(Layout.bucket(newDeadline) > Layout.lastDueBucket(now()));
        assertEquals(List.of(layout.expiryList(Layout.bucket(oldDeadline))), layout.whereIndexed(entry),
                "an update indexes nothing");
        layout.backdateAll(); // the old bucket came due
        Poll.until(Duration.ofSeconds(5), "the old deadline to pass", () -> now() > oldDeadline);

        Announcements seen = new Announcements();
        assertEquals(0, store.sweepExpired("node-a", seen));
        assertTrue(now() < newDeadline, "too slow: the new deadline passed before the first sweep");
        assertEquals(0, seen.size());
        assertTrue(store.load(key).isFound());
        assertEquals(List.of(layout.expiryList(Layout.bucket(newDeadline))), layout.whereIndexed(entry),
                "moved to the bucket of its current deadline");

        sweepUntil(store, "node-a", seen, () -> seen.size() >= 1,
                Duration.ofMillis(Layout.dueAt(newDeadline) - now() + 15_000), "the session announced");
        ExpiredSession e = seen.only(key);
        assertEquals("s:again", e.fields().get("a:seen"));
        assertEquals(Long.toString(newDeadline), e.fields().get("#e"));
        assertTrue(seen.at(key) >= Layout.dueAt(newDeadline), "announced before its new bucket settled");
        assertEquals(0, store.sweepExpired("node-a", seen));
        assertEquals(1, seen.size());
    }

    /**
     * The deadline of a session can also move earlier (the application shortens its idle timeout): it must then be
     * announced when its new deadline's bucket comes due. Its key lives for its new deadline plus the linger, so an
     * entry left in the bucket of the old, later deadline is read after the key is gone: never announced.
     */
    @Test
    void aSessionWhoseDeadlineMovedEarlier_isAnnouncedWhenItsNewDeadlineIsDue() {
        SessionKey key = anonymous(600_000, Map.of("a:x", "s:1"));
        layout.awaitExpiryEntries(1);
        assertTrue(update(key, null, 300, Map.of("#i", "0")), "a shorter timeout");
        long deadline = layout.deadline(key);
        long keyGoneAt = now() + redis.ttl(layout.session(key));
        String where = layout.whereIndexed(Layout.entry(key, null)).toString();

        Announcements seen = new Announcements();
        sweepUntil(store, "node-a", seen, () -> seen.size() >= 1,
                Duration.ofMillis(Layout.dueAt(deadline) - now() + 10_000),
                "the announcement of a session whose deadline moved from +10 min to +300 ms; it is indexed in "
                        + where + " (bucket " + Layout.bucket(deadline) + " is its deadline's), its key is gone at "
                        + keyGoneAt + " (in " + (keyGoneAt - now()) + " ms)");
        assertEquals(1, seen.of(key).size());
    }

    // ---- ended otherwise: never announced -------------------------------------------------------------------

    @Test
    void sessionsEndedBySignOutRevocationOrEviction_areNeverAnnounced_evenPastTheirDeadline() {
        long ttl = 1_500;
        UserRef carol = ids.userRef("carol");
        RedissonSessionStore limited = store(client, 2);
        SessionKey loggedOut = signedIn(alice, ttl, Map.of());
        SessionKey revoked = signedIn(alice, ttl, Map.of());
        SessionKey bob1 = signedIn(bob, ttl, Map.of());
        SessionKey bob2 = signedIn(bob, ttl, Map.of());
        SessionKey carol1 = signedIn(limited, carol, ttl, Map.of());
        SessionKey carol2 = signedIn(limited, carol, ttl + 10, Map.of());
        SessionKey carol3 = signedIn(limited, carol, ttl + 20, Map.of()); // evicts carol1 (the earliest deadline)
        SessionKey anonymousOut = anonymous(ttl, Map.of("a:x", "s:1"));
        String rotatedId = ids.newId();
        SessionKey rotatedFrom = ids.keyOf(rotatedId);
        assertTrue(store.save(new SessionWrite(rotatedFrom, null, true, Map.of("a:x", "s:1"), Set.of(), Map.of(), ttl,
                null, 0)).isPresent());
        SessionKey rotatedTo = ids.keyOf(ids.rotate(rotatedId));
        assertTrue(store.save(new SessionWrite(rotatedTo, rotatedFrom, false, Map.of(), Set.of(), Map.of(), ttl, null,
                0)).isPresent());
        SessionKey control = anonymous(ttl, Map.of("a:x", "s:control"));

        assertTrue(store.delete(loggedOut, alice, "logout"));
        assertTrue(store.revoke(alice, revoked.hash(), "revoked"));
        assertEquals(2, store.revokeAll(bob, now(), "admin", null));
        assertTrue(store.delete(anonymousOut, null, "logout"));
        Map<SessionKey, String> ended = new LinkedHashMap<>();
        ended.put(loggedOut, "logout");
        ended.put(revoked, "revoked");
        ended.put(bob1, "admin");
        ended.put(bob2, "admin");
        ended.put(carol1, "evicted");
        ended.put(anonymousOut, "logout");
        ended.put(rotatedFrom, "rotated");
        ended.forEach((k, reason) -> assertEquals(reason, store.load(k).goneReason(), "why " + k + " ended"));
        Set<SessionKey> expiring = Set.of(carol2, carol3, rotatedTo, control);
        layout.awaitExpiryEntries(ended.size() + expiring.size());
        awaitPastDeadline(deadlines(carol2, carol3, rotatedTo, control));
        layout.backdateAll();

        Announcements seen = new Announcements();
        sweepUntil(store, "node-a", seen, () -> seen.size() >= expiring.size(), Duration.ofSeconds(15),
                expiring.size() + " sessions announced");
        for (int i = 0; i < 2; i++) {
            store.sweepExpired("node-a", seen);
        }

        Map<SessionKey, Integer> expected = new HashMap<>();
        expiring.forEach(k -> expected.put(k, 1));
        assertEquals(expected, seen.timesByKey(), "announced (ended otherwise: " + ended.keySet() + ")");
        assertEquals("carol", seen.only(carol2).username());
        ended.forEach((k, reason) -> assertEquals(reason, tombstone(k), "the tombstone of " + k));
        assertEquals(0, layout.expiryEntryCount());
        awaitCountSignedIn(store, 0, "every signed-in session ended");
    }

    // ---- several sweepers -----------------------------------------------------------------------------------

    @Test
    void twoInstancesSweepingAtOnce_announceEverySessionExactlyOnceInTotal() throws Exception {
        int n = 300;
        Map<SessionKey, String> users = new HashMap<>();
        Map<SessionKey, Long> deadlines = new HashMap<>();
        for (int i = 0; i < n; i++) {
            SessionKey k;
            String user = null;
            if (i % 3 == 0) {
                user = "user" + (i % 10);
                k = signedIn(ids.userRef(user), 500, Map.of("a:i", "i:" + i));
            } else {
                k = anonymous(500, Map.of("a:i", "i:" + i));
            }
            users.put(k, user);
        }
        layout.awaitExpiryEntries(n);
        awaitCountSignedIn(store, 100, "100 signed-in sessions");
        for (SessionKey k : users.keySet()) {
            deadlines.put(k, layout.deadline(k));
        }
        Poll.until(Duration.ofSeconds(10), "the deadlines to pass",
                () -> now() > Collections.max(deadlines.values()));
        layout.backdateAll(3); // three buckets, three shards: work for both

        RedissonSessionStore[] instances = {store(client, 10), store(otherClient, 10)};
        Announcements[] seen = {new Announcements(), new Announcements()};
        AtomicInteger total = new AtomicInteger();
        int[] sweeps = new int[2];
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int me = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    long until = now() + 30_000;
                    while (total.get() < n && now() < until) {
                        total.addAndGet(instances[me].sweepExpired("node-" + me, seen[me]));
                        sweeps[me]++;
                    }
                    // A few more sweeps by both once all are out: nothing is announced twice.
                    for (int j = 0; j < 3; j++) {
                        total.addAndGet(instances[me].sweepExpired("node-" + me, seen[me]));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        Map<SessionKey, Integer> times = new HashMap<>(seen[0].timesByKey());
        seen[1].timesByKey().forEach((k, t) -> times.merge(k, t, Integer::sum));
        Map<SessionKey, Integer> twice = new TreeMap<>(java.util.Comparator.comparing(SessionKey::hash));
        times.forEach((k, t) -> {
            if (t != 1) {
                twice.put(k, t);
            }
        });
        System.out.println("two sweepers: " + seen[0].size() + " + " + seen[1].size() + " announced in " + sweeps[0]
                + " + " + sweeps[1] + " sweeps");
        assertEquals(Map.of(), twice, "announced more than once");
        assertEquals(users.keySet(), times.keySet(), "the sessions announced");
        assertEquals(n, total.get());
        for (Announcements a : seen) {
            synchronized (a.seen) {
                for (ExpiredSession e : a.seen) {
                    assertEquals(users.get(e.key()), e.username());
                    assertEquals(Long.toString(deadlines.get(e.key())), e.fields().get("#e"));
                }
            }
        }
        awaitCountSignedIn(store, 0, "all 100 signed-in sessions expired");
        assertEquals(List.of(), layout.sweepKeys().stream().filter(k -> k.endsWith(":lease")).toList(),
                "leases are given back");
    }

    /** A bucket with more entries than one batch of the sweep (200) is swept completely at once. */
    @Test
    void aBucketOfMoreThanABatch_isSweptCompletelyByOneSweep() {
        Map<SessionKey, Long> deadlines = new HashMap<>();
        for (int i = 0; i < 450; i++) {
            SessionKey k = anonymous(700, Map.of("a:i", "i:" + i));
            deadlines.put(k, null);
        }
        layout.awaitExpiryEntries(450);
        deadlines.replaceAll((k, d) -> layout.deadline(k));
        Poll.until(Duration.ofSeconds(10), "the deadlines to pass", () -> now() > Collections.max(deadlines.values()));
        layout.backdateAll();
        assertEquals(1, layout.expiryLists().size(), "one bucket");

        Announcements seen = new Announcements();
        assertEquals(450, store.sweepExpired("node-a", seen));
        assertEquals(deadlines.keySet(), seen.timesByKey().keySet());
        assertEquals(450, seen.size());
        assertEquals(0, layout.expiryEntryCount());
        assertEquals(0, store.sweepExpired("node-a", seen));
    }

    // ---- claims that are not acknowledged -------------------------------------------------------------------

    /**
     * A sweeper that claimed a session and died before announcing it: its claim protects the session until it
     * lapses, then the next sweep takes it over and announces it (its fields went with the dead sweeper).
     */
    @Test
    void aClaimNeverAcknowledged_isTakenOverOnceItLapses_andNotBefore() {
        SessionKey key = signedIn(alice, 300, Map.of("a:cart", "s:1 item"));
        layout.awaitExpiryEntries(1);
        awaitCountSignedIn(store, 1, "alice's");
        Map<String, String> fields = layout.hgetall(layout.session(key));
        awaitPastDeadline(deadlines(key));
        layout.backdateAll();

        long claimedAt = now();
        long lapse = claimedAt + 3_000;
        List<Object> r = claim(key, "alice", "dead-node:00ff", claimedAt, lapse);
        assertEquals("claimed", r.get(0));
        assertEquals(fields, RedissonSessionStore.pairs(r.subList(1, r.size())));
        assertEquals("expired|dead-node:00ff|" + lapse, tombstone(key));
        assertEquals("expired", store.load(key).goneReason(), "a claimed session is expired to everyone");
        assertFalse(layout.exists(layout.session(key)));
        assertEquals(List.of(), layout.indexed(alice));

        Announcements seen = new Announcements();
        assertEquals(0, store.sweepExpired("node-a", seen));
        assertTrue(now() < lapse, "too slow: the claim lapsed before the first sweep");
        assertEquals(0, seen.size(), "announced while another sweeper's claim runs");
        assertEquals(1, layout.expiryEntryCount(), "the entry waits for the claim to lapse");
        String entry = key.tag() + key.hash() + "alice";
        assertEquals(List.of(layout.expiryList(Layout.bucket(lapse + 1))), layout.whereIndexed(entry),
                "indexed again at the claim's deadline");

        Poll.until(Duration.ofSeconds(10), "the claim to lapse", () -> now() > lapse);
        // The bucket of the claim's deadline comes due (moved into the last due bucket, which the refused sweep has
        // already passed: its cursor is reset as well).
        layout.backdateAll();
        layout.sweepKeys().forEach(k -> redis.call("DEL", k));
        sweepUntil(store, "node-a", seen, () -> seen.size() >= 1, Duration.ofSeconds(15), "the takeover");
        ExpiredSession e = seen.only(key);
        assertTrue(seen.at(key) >= lapse, "taken over before the claim lapsed");
        assertEquals("alice", e.username());
        assertEquals(Map.of(), e.fields(), "the fields went with the dead sweeper");
        assertEquals("expired", tombstone(key));
        for (int i = 0; i < 2; i++) {
            assertEquals(0, store.sweepExpired("node-a", seen));
        }
        assertEquals(1, seen.size());
        awaitCountSignedIn(store, 0, "the takeover counts the session out");
    }

    /** The tail of a claim that was never acknowledged, as expiry-claim.lua sees it when a claim lapsed. */
    @Test
    void theClaimScript_takesOverALapsedClaim_refusesARunningOne_andIgnoresAnAcknowledgedOne() {
        SessionKey key = anonymous(300, Map.of("a:x", "s:1"));
        awaitPastDeadline(deadlines(key));
        long t = now();
        assertEquals("claimed", claim(key, null, "node-1:aa", t, t + 30_000).get(0));

        assertEquals(List.of("busy", Long.toString(t + 30_000)), claim(key, null, "node-2:bb", t + 1_000, t + 31_000),
                "refused, with the running claim's deadline");
        assertEquals("expired|node-1:aa|" + (t + 30_000), tombstone(key), "a refused claim changed the tombstone");
        assertEquals(List.of("reclaimed"), claim(key, null, "node-2:bb", t + 30_001, t + 60_001));
        assertEquals("expired|node-2:bb|" + (t + 60_001), tombstone(key));
        long pttl = redis.ttl(layout.tombstone(key));
        assertTrue(pttl > 0 && pttl <= TOMBSTONE_TTL, "the tombstone keeps its TTL: " + pttl);

        redis.call("SET", layout.tombstone(key), "expired", "KEEPTTL"); // acknowledged
        assertEquals(List.of("ended"), claim(key, null, "node-3:cc", t + 90_000, t + 120_000));
        assertEquals("expired", tombstone(key));

        SessionKey live = anonymous(60_000, Map.of());
        List<Object> r = claim(live, null, "node-1:aa", now(), now() + 30_000);
        assertEquals("live", r.get(0));
        assertEquals(Long.toString(layout.deadline(live)), r.get(1));
        assertTrue(store.load(live).isFound());
        SessionKey loggedOut = anonymous(300, Map.of());
        store.delete(loggedOut, null, "logout");
        assertEquals(List.of("ended"), claim(loggedOut, null, "node-1:aa", now() + 1_000, now() + 30_000));
        assertEquals("logout", tombstone(loggedOut));
    }

    private static final class ListenerDied extends Error {
        ListenerDied() {
            super("the listener died");
        }
    }

    /**
     * An announcement that dies (an Error out of the listener: the instance is going down) leaves its claim
     * unacknowledged: other sweeps leave the session alone until the claim lapses, then announce it once.
     */
    @Test
    void anAnnouncementThatDies_leavesAClaimOtherSweepsRespect_untilItLapses() {
        SessionKey key = anonymous(300, Map.of("a:x", "s:1"));
        layout.awaitExpiryEntries(1);
        awaitPastDeadline(deadlines(key));
        layout.backdateAll();

        long before = now();
        assertThrows(ListenerDied.class, () -> store.sweepExpired("dying-node", e -> {
            throw new ListenerDied();
        }));
        String claim = tombstone(key);
        assertTrue(claim.matches("expired\\|dying-node:[0-9a-f]+\\|\\d+"), claim);
        long lapse = Long.parseLong(claim.substring(claim.lastIndexOf('|') + 1));
        assertTrue(lapse > before && lapse <= now() + ExpiryIndex.CLAIM_MS, "claim deadline " + lapse);
        assertEquals("expired", store.load(key).goneReason());
        assertEquals(List.of(), layout.sweepKeys().stream().filter(k -> k.endsWith(":lease")).toList(),
                "the lease is given back");

        Announcements seen = new Announcements();
        for (int i = 0; i < 2; i++) {
            assertEquals(0, store.sweepExpired("node-b", seen));
        }
        assertEquals(0, seen.size(), "announced while the claim runs");

        // The claim lapses (its deadline, moved into the past instead of waiting CLAIM_MS), and the bucket where the
        // refused sweeps indexed the entry again (the claim's deadline) comes due.
        redis.call("SET", layout.tombstone(key), claim.substring(0, claim.lastIndexOf('|') + 1) + (now() - 1),
                "KEEPTTL");
        layout.backdateAll();
        layout.sweepKeys().forEach(k -> redis.call("DEL", k)); // the sweeps above passed that bucket already
        assertEquals(1, store.sweepExpired("node-b", seen));
        assertEquals(Map.of(), seen.only(key).fields());
        assertEquals("expired", tombstone(key));
        assertEquals(0, store.sweepExpired("node-b", seen));
    }

    /** A listener that throws an exception has had its turn: the session is acknowledged, never announced again. */
    @Test
    void anAnnouncementThatThrows_isNotRepeated() {
        SessionKey key = anonymous(300, Map.of("a:x", "s:1"));
        layout.awaitExpiryEntries(1);
        awaitPastDeadline(deadlines(key));
        layout.backdateAll();

        AtomicInteger calls = new AtomicInteger();
        assertEquals(1, store.sweepExpired("node-a", e -> {
            calls.incrementAndGet();
            throw new IllegalStateException("a listener failed");
        }));
        assertEquals(1, calls.get());
        assertEquals("expired", tombstone(key));
        Announcements seen = new Announcements();
        assertEquals(0, store.sweepExpired("node-a", seen));
        assertEquals(0, seen.size());
    }

    // ---- duplicate entries ----------------------------------------------------------------------------------

    /**
     * One session can have two entries in one bucket (see the next test for how). The sweep claims both entries in
     * one batch with one claim token: the second must not count as a takeover of the first.
     */
    @Test
    void aSessionIndexedTwiceInTheSameDueBucket_isAnnouncedOnce() {
        SessionKey key = anonymous(300, Map.of("a:x", "s:1"));
        layout.awaitExpiryEntries(1);
        Map<String, String> fields = layout.hgetall(layout.session(key));
        awaitPastDeadline(deadlines(key));
        long due = layout.backdateAll();
        layout.push(due, Layout.entry(key, null));
        assertEquals(2, layout.whereIndexed(Layout.entry(key, null)).size());

        Announcements seen = new Announcements();
        sweepUntil(store, "node-a", seen, () -> seen.size() >= 1, Duration.ofSeconds(10), "the announcement");
        store.sweepExpired("node-a", seen);
        assertEquals(1, seen.of(key).size(), "announced " + seen.of(key).size() + " times: " + seen.of(key));
        assertEquals(fields, seen.only(key).fields());
    }

    /**
     * While a bucket is blocked by another sweeper's running claim, each sweep reads it again (it is not trimmed),
     * and must not index a live session of that bucket again each time: a session has one live entry.
     */
    @Test
    void aLiveSessionBehindARunningClaim_keepsOneLiveEntry_acrossSweeps() {
        SessionKey claimed = anonymous(300, Map.of("a:x", "s:1"));
        SessionKey live = anonymous(300, Map.of("a:y", "s:2"));
        assertTrue(update(live, null, 60_000, Map.of("a:seen", "s:again")));
        layout.awaitExpiryEntries(2);
        awaitPastDeadline(deadlines(claimed));
        long t = now();
        assertEquals("claimed", claim(claimed, null, "dead-node:01", t, t + 60_000).get(0));
        long dueBucket = layout.backdateAll();

        Announcements seen = new Announcements();
        for (int i = 0; i < 3; i++) {
            assertEquals(0, store.sweepExpired("node-a", seen));
        }
        assertEquals(0, seen.size());
        List<String> where = layout.whereIndexed(Layout.entry(live, null));
        List<String> elsewhere = where.stream().filter(l -> layout.bucketOf(l) != dueBucket).toList();
        assertTrue(elsewhere.size() <= 1, "the live session has " + where.size() + " entries after 3 sweeps: "
                + where + " (the blocked bucket is " + dueBucket + ")");
    }

    // ---- TTLs -----------------------------------------------------------------------------------------------

    /**
     * Every key the store and the user repository write has a TTL, except accounts that have a password and the
     * directory of users: sessions, tombstones, leftover indexes of deleted accounts, revocation markers, creation
     * counters, expiry lists, counts, sweep cursors and leases, audit trails (here: alice's, written by the expiry).
     */
    @Test
    void everyKeyWritten_hasATtl_exceptAccountsWithAPasswordAndTheDirectory() {
        RedisUserRepository users = new RedisUserRepository(client, prefix, USER_KEYS_TTL);
        for (String name : List.of("alice", "bob", "carol")) {
            assertTrue(users.create(new User(name, "PBKDF2WithHmacSHA512:210000:c2FsdHNhbHRzYWx0c2FsdA==:aGFzaA==",
                    Set.of("user"), now())));
        }
        RedissonSessionStore limited = new RedissonSessionStore(client, prefix, TOMBSTONE_TTL, USER_KEYS_TTL, 2, 5,
                60_000, LINGER);
        ClientRef creator = ids.clientRef("198.51.100.7");
        SessionKey created = ids.keyOf(ids.newIdIn(creator.tag()));
        assertTrue(limited.save(new SessionWrite(created, null, true, Map.of("a:x", "s:1"), Set.of(), Map.of(), 600_000,
                null, 0).withCreator(creator)).isPresent());
        UserRef carol = ids.userRef("carol");
        UserRef dave = ids.userRef("dave"); // signs in without an account
        signedIn(limited, alice, 600_000, Map.of());
        signedIn(limited, alice, 600_000, Map.of());
        signedIn(limited, alice, 600_000, Map.of()); // evicts one
        SessionKey b1 = signedIn(limited, bob, 600_000, Map.of());
        signedIn(limited, bob, 600_000, Map.of());
        assertTrue(limited.revoke(bob, b1.hash(), "revoked"));
        limited.revokeAll(bob, now(), "admin", null);
        signedIn(limited, carol, 600_000, Map.of());
        assertTrue(users.delete("carol")); // her index stays until her sessions end
        signedIn(limited, dave, 600_000, Map.of());
        String rotating = ids.newIdFor(alice);
        SessionKey r1 = ids.keyOf(rotating);
        assertTrue(limited.save(new SessionWrite(r1, null, true, signInFields(alice, now(), Map.of()), Set.of(),
                Map.of(), 600_000, alice, now())).isPresent());
        SessionKey r2 = ids.keyOf(ids.rotate(rotating));
        assertTrue(limited.save(new SessionWrite(r2, r1, false, Map.of(), Set.of(), Map.of(), 600_000, alice, 1))
                .isPresent());
        assertTrue(limited.delete(r2, alice, "logout"));
        SessionKey expiring = signedIn(limited, alice, 300, Map.of());
        SessionKey expiringAnonymous = anonymous(300, Map.of());
        layout.awaitExpiryEntries(12);
        awaitPastDeadline(deadlines(expiring, expiringAnonymous));
        layout.backdateAll();
        // While it announces, the sweep holds the shard's lease, with a TTL.
        Map<String, Long> leases = new HashMap<>();
        Announcements seen = new Announcements();
        Consumer<ExpiredSession> seeLeases = e -> {
            for (String k : layout.sweepKeys()) {
                if (k.endsWith(":lease")) {
                    leases.put(k, redis.ttl(k));
                }
            }
            seen.accept(e);
        };
        Poll.until(Duration.ofSeconds(15), "2 announced", () -> {
            limited.sweepExpired("node-a", seeLeases);
            return seen.size() >= 2;
        });
        awaitCountSignedIn(limited, 3, "alice 1 (5 sign-ins: 2 evicted, 1 rotated then signed out, 1 expired), "
                + "carol 1, dave 1");

        Set<String> kinds = new HashSet<>();
        for (Object k : (List<?>) redis.call("KEYS", prefix + "*")) {
            String key = (String) k;
            String rest = key.substring(prefix.length());
            long pttl = redis.ttl(key);
            String kind;
            if (rest.startsWith("a:{")) {
                boolean account = Long.valueOf(1).equals(redis.call("HEXISTS", key, "pw"));
                kind = account ? "account" : "leftover index";
                assertEquals(account, pttl == -1, key + " has PTTL " + pttl);
            } else if (rest.startsWith("d:{d")) {
                kind = "directory";
                assertEquals("zset", redis.call("TYPE", key));
                assertEquals(-1, pttl, key + " has a TTL");
            } else {
                kind = rest.endsWith(":gone") ? "tombstone" : rest.endsWith("}nb") ? "marker"
                        : rest.startsWith("n:{") ? "creations" : rest.startsWith("s:{") ? "session"
                        : rest.startsWith("t:{") ? "audit trail"
                        : rest.endsWith(":n") ? "count" : rest.endsWith(":next") ? "cursor"
                        : rest.endsWith(":lease") ? "lease" : rest.matches("x:\\{x\\d+\\}:\\d+") ? "expiry" : key;
                assertTrue(pttl > 0, key + " has PTTL " + pttl);
            }
            kinds.add(kind);
        }
        assertEquals(Set.of("account", "leftover index", "directory", "tombstone", "marker", "creations", "session",
                "count", "cursor", "expiry", "audit trail"), kinds);
        assertEquals(-1, redis.ttl(layout.account("alice")));
        assertTrue(redis.ttl(layout.account("carol")) > 0, "carol's leftover index");
        assertTrue(redis.ttl(layout.account("dave")) > 0, "dave has no account: his index has a TTL");
        assertFalse(leases.isEmpty(), "no lease seen during a sweep");
        leases.forEach((lease, pttl) -> {
            assertTrue(pttl > 0 && pttl <= ExpiryIndex.LEASE_MS, lease + " had PTTL " + pttl);
            assertNull(redis.call("GET", lease), "lease " + lease + " not given back");
        });
    }
}
