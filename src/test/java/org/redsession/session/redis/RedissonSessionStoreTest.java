package org.redsession.session.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redsession.session.AttributeCodec;
import org.redsession.session.ClientRef;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionKey;
import org.redsession.session.SessionStore.Loaded;
import org.redsession.session.SessionWrite;
import org.redsession.session.TooManyNewSessionsException;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisMonitor;
import org.redsession.testsupport.RedisServer;

/** {@link RedissonSessionStore} and its Lua scripts against a real redis-server. */
class RedissonSessionStoreTest {

    private static final long TTL = 600_000;
    private static final long TOMBSTONE_TTL = 120_000;
    private static final long USER_KEYS_TTL = 8 * 3_600_000L;
    private static final int MAX_PER_USER = 10;
    /** How long a session stays in Redis past its deadline #e (unreadable) for the expiry sweep. */
    private static final long LINGER = 30_000;
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    /** Commands Redis counts when the scripts run them; they are not round trips of the client. */
    private static final Set<String> SCRIPT_INNER = Set.of("hgetall", "hincrby", "get", "exists", "hset", "hdel", "hget", "del",
            "set", "pexpire", "hexists", "pttl");

    private static RedisServer redis;
    private static RedissonClient client;

    private final SessionIds ids = new SessionIds(List.of("store-test-secret-0123456789abcdef".getBytes(
            StandardCharsets.US_ASCII)));
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
        prefix = "rst" + PREFIXES.incrementAndGet() + ":";
        layout = new Layout(redis, prefix);
        store = new RedissonSessionStore(client, prefix, TOMBSTONE_TTL, USER_KEYS_TTL, MAX_PER_USER, 0, 1, LINGER);
    }

    /**
     * The store indexes a new key's expiry without waiting for the reply: let those writes land before the next test
     * counts commands (or flushes the script cache).
     */
    @AfterEach
    void letIndexWritesLand() {
        long[] last = {-1};
        Poll.until(Duration.ofSeconds(10), "the expiry index of " + prefix + " to settle", () -> {
            long n = layout.expiryEntryCount();
            boolean stable = n == last[0];
            last[0] = n;
            return stable;
        });
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private SessionKey newKey() {
        return ids.keyOf(ids.newId());
    }

    private String hashKey(SessionKey key) {
        return prefix + "s:{" + key.tag() + "}" + key.hash();
    }

    private String tombstoneKey(SessionKey key) {
        return hashKey(key) + ":gone";
    }

    /** The fields without the deadline #e that every write sets. */
    private static Map<String, String> withoutDeadline(Map<String, String> fields) {
        Map<String, String> copy = new HashMap<>(fields);
        copy.remove("#e");
        return copy;
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    private static final Map<String, String> SCRIPTS_BY_SHA = Layout.scriptsBySha();

    /**
     * What the clients sent while {@code action} ran, as MONITOR saw it: a script call as the name of its constant in
     * {@link Scripts} ("SAVE", "EXPIRY_PUSH"), any other command by name. Commands scripts run inside Redis and the
     * SCAN and LRANGE of the test's own polling of the expiry index are left out.
     */
    private static List<String> sentDuring(Runnable action) {
        List<RedisMonitor.Command> commands;
        try (RedisMonitor monitor = RedisMonitor.start(redis.port())) {
            commands = monitor.during(action);
        }
        List<String> sent = new ArrayList<>();
        for (RedisMonitor.Command c : commands) {
            if (c.fromScript() || c.name().equals("scan") || c.name().equals("lrange")) {
                continue;
            }
            if (c.name().startsWith("evalsha")) {
                String line = c.line().toLowerCase(java.util.Locale.ROOT);
                int at = line.indexOf('"' + c.name() + '"');
                int open = line.indexOf('"', at + c.name().length() + 2);
                String sha = line.substring(open + 1, line.indexOf('"', open + 1));
                sent.add(SCRIPTS_BY_SHA.getOrDefault(sha, "unknown script " + sha));
            } else {
                sent.add(c.name());
            }
        }
        return sent;
    }

    /** The commands scripts ran inside Redis while {@code action} ran. */
    private static List<String> runByScriptsDuring(Runnable action) {
        try (RedisMonitor monitor = RedisMonitor.start(redis.port())) {
            return monitor.during(action).stream().filter(RedisMonitor.Command::fromScript)
                    .map(RedisMonitor.Command::name).toList();
        }
    }

    private static SessionWrite create(SessionKey key, Map<String, String> fields) {
        return new SessionWrite(key, null, true, fields, Set.of(), Map.of(), TTL, null, 0);
    }

    private static SessionWrite update(SessionKey key, Map<String, String> set, Set<String> remove,
            Map<String, Long> increments) {
        return new SessionWrite(key, null, false, set, remove, increments, TTL, null, 0);
    }

    private static SessionWrite rotate(SessionKey from, SessionKey to, Map<String, String> set) {
        return new SessionWrite(to, from, false, set, Set.of(), Map.of(), TTL, null, 0);
    }

    private Map<String, String> hgetall(String key) {
        List<?> flat = (List<?>) redis.call("HGETALL", key);
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            map.put((String) flat.get(i), (String) flat.get(i + 1));
        }
        return map;
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String command) {
        return after.getOrDefault(command, 0L) - before.getOrDefault(command, 0L);
    }

    /** EVAL and EVALSHA, including the read-only variants Redisson uses for read-only scripts on Redis 7. */
    private static final Set<String> SCRIPT_CALLS = Set.of("evalsha", "eval", "evalsha_ro", "eval_ro");

    private static long scriptRoundTrips(Map<String, Long> before, Map<String, Long> after) {
        return SCRIPT_CALLS.stream().mapToLong(c -> delta(before, after, c)).sum();
    }

    private static long total(Map<String, Long> commands) {
        return commands.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Commands in the delta that are neither run inside a script nor the measuring INFO itself (nor a keep-alive). */
    private static Map<String, Long> outerCommands(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> outer = new LinkedHashMap<>();
        for (String command : after.keySet()) {
            long d = delta(before, after, command);
            if (d != 0 && !SCRIPT_INNER.contains(command) && !command.equals("info") && !command.equals("ping")) {
                outer.put(command, d);
            }
        }
        return outer;
    }

    // ---- load / create --------------------------------------------------------------------------------------

    @Test
    void load_ofMissingKey_isGoneExpired() {
        Loaded loaded = store.load(newKey());
        assertFalse(loaded.isFound());
        assertEquals("expired", loaded.goneReason());
        assertTrue(loaded.fields().isEmpty());
    }

    @Test
    void create_thenLoad_returnsTheFields_withTheTtl() {
        SessionKey key = newKey();
        Map<String, String> fields = Map.of("#c", "1", "#x", "2", "a:name", "s:Ada | :ü€", "a:n", "i:3");
        assertEquals(16, key.hash().length(), "a key hash is 16 characters: " + key.hash());
        long before = now();
        assertEquals(Optional.of(Map.of()), store.save(create(key, fields)));
        long after = now();

        Loaded loaded = store.load(key);
        assertTrue(loaded.isFound());
        assertEquals(fields, withoutDeadline(loaded.fields()));
        // The deadline #e is the write's time plus its TTL; the key lives on for the linger beyond it.
        long deadline = Long.parseLong(loaded.fields().get("#e"));
        assertTrue(deadline >= before + TTL && deadline <= after + TTL, "#e " + deadline);
        assertEquals(Long.toString(deadline), layout.hgetall(hashKey(key)).get("#e"));
        long pttl = redis.ttl(hashKey(key));
        assertTrue(pttl > TTL + LINGER - 10_000 && pttl <= TTL + LINGER, "PTTL " + pttl);
    }

    /**
     * An expired session must stay long enough for a sweep to find it: its bucket ends up to a bucket's width after
     * its deadline and is swept after it settled, by a sweep that runs once per interval.
     */
    @Test
    void theDefaultLinger_outlastsABucketItsSettlingAndASweepInterval() {
        for (Duration interval : List.of(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1))) {
            assertTrue(RedissonSessionStore.lingerFor(interval) >= interval.toMillis() + ExpiryIndex.BUCKET_MS
                    + ExpiryIndex.SETTLE_MS, "linger for a sweep every " + interval);
        }
        long linger = RedissonSessionStore.lingerFor(Duration.ofSeconds(10));
        RedissonSessionStore byDefault = new RedissonSessionStore(client, prefix, TOMBSTONE_TTL, USER_KEYS_TTL,
                MAX_PER_USER);
        SessionKey key = newKey();
        assertTrue(byDefault.save(create(key, Map.of("a:x", "s:1"))).isPresent());
        long pttl = redis.ttl(hashKey(key));
        assertTrue(pttl > TTL + linger - 10_000 && pttl <= TTL + linger, "PTTL " + pttl);
    }

    @Test
    void create_overAnExistingKey_writesNothing() {
        SessionKey key = newKey();
        store.save(create(key, Map.of("a:x", "s:first")));

        Long deadline = layout.deadline(key);
        assertEquals(Optional.empty(), store.save(create(key, Map.of("a:x", "s:second", "a:y", "s:new"))));
        assertEquals(Map.of("a:x", "s:first"), withoutDeadline(store.load(key).fields()));
        assertEquals(deadline, layout.deadline(key), "the refused creation moved the deadline");
    }

    @Test
    void create_overATombstone_writesNothing() {
        SessionKey key = newKey();
        store.save(create(key, Map.of("a:x", "s:1")));
        store.delete(key, null, "logout");

        assertEquals(Optional.empty(), store.save(create(key, Map.of("a:x", "s:2"))));
        assertEquals(0L, redis.call("EXISTS", hashKey(key)));
        assertEquals("logout", store.load(key).goneReason());
    }

    // ---- update ---------------------------------------------------------------------------------------------

    @Test
    void update_ofADeletedSession_isEmpty_andRecreatesNoKey() {
        SessionKey key = newKey();
        store.save(create(key, Map.of("a:x", "s:1")));
        assertTrue(store.delete(key, null, "logout"));

        Optional<Map<String, String>> result = store.save(update(key, Map.of("a:late", "s:write", "#a", "9"),
                Set.of("a:x"), Map.of("a:n", 1L)));
        assertEquals(Optional.empty(), result);
        assertEquals(0L, redis.call("EXISTS", hashKey(key)), "the deleted session was written back");
        assertEquals("logout", store.load(key).goneReason());
    }

    @Test
    void update_ofAnExpiredSession_isEmpty_andRecreatesNoKey() {
        SessionKey key = newKey();
        assertEquals(Optional.empty(), store.save(update(key, Map.of("a:x", "s:1"), Set.of(), Map.of("a:n", 1L))));
        assertEquals(List.of(), redis.scanKeys(prefix + "*"));
    }

    /**
     * A session past its deadline #e stays in Redis for the linger (so the expiry sweep can announce it) but is
     * expired to everyone else: load reports it gone, and no write brings it back.
     */
    @Test
    void aSessionPastItsDeadline_isGoneExpired_andNoWriteResurrectsIt() {
        String id = ids.newId();
        SessionKey key = ids.keyOf(id);
        store.save(new SessionWrite(key, null, true, Map.of("#c", "1", "a:x", "s:1", "a:n", "5"), Set.of(), Map.of(),
                300, null, 0));
        assertTrue(store.load(key).isFound(), "found before its deadline");
        Loaded gone = Poll.until(Duration.ofSeconds(5), "the session to pass its deadline", () -> {
            Loaded l = store.load(key);
            return l.isFound() ? Optional.empty() : Optional.of(l);
        });
        assertEquals("expired", gone.goneReason());
        assertTrue(gone.fields().isEmpty());
        assertTrue(layout.deadline(key) <= now());
        Map<String, String> stored = hgetall(hashKey(key));
        long pttl = redis.ttl(hashKey(key));
        assertTrue(pttl > 0 && pttl <= LINGER, "it lingers: PTTL " + pttl);

        assertEquals(Optional.empty(), store.save(update(key, Map.of("a:late", "s:write"), Set.of("a:x"),
                Map.of("a:n", 1L))), "an update of an expired session");
        SessionKey rotated = ids.keyOf(ids.rotate(id));
        assertEquals(Optional.empty(), store.save(rotate(key, rotated, Map.of("a:late", "s:write"))),
                "a rotation of an expired session");
        assertEquals(Optional.empty(), store.save(create(key, Map.of("a:late", "s:write"))),
                "a creation over an expired session");

        assertEquals(stored, hgetall(hashKey(key)), "the expired session was written");
        assertTrue(redis.ttl(hashKey(key)) <= pttl, "its TTL was extended");
        assertFalse(layout.exists(hashKey(rotated)));
        assertFalse(layout.exists(tombstoneKey(rotated)));
        assertFalse(layout.exists(tombstoneKey(key)), "a refused write left a tombstone");
        assertEquals("expired", store.load(key).goneReason());
        assertEquals("expired", store.load(rotated).goneReason());
    }

    @Test
    void update_setsFieldsAndRefreshesTheTtl() {
        SessionKey key = newKey();
        long created = now();
        store.save(new SessionWrite(key, null, true, Map.of("a:x", "s:1"), Set.of(), Map.of(), 5_000, null, 0));
        assertTrue(redis.ttl(hashKey(key)) <= 5_000 + LINGER);
        assertTrue(layout.deadline(key) <= now() + 5_000 && layout.deadline(key) >= created + 5_000);

        long updated = now();
        store.save(update(key, Map.of("a:y", "s:2"), Set.of(), Map.of()));
        assertEquals(Map.of("a:x", "s:1", "a:y", "s:2"), withoutDeadline(store.load(key).fields()));
        assertTrue(redis.ttl(hashKey(key)) > 5_000 + LINGER, "TTL not refreshed by the update");
        assertTrue(layout.deadline(key) >= updated + TTL, "deadline not moved by the update: " + layout.deadline(key));
    }

    @Test
    void remove_deletesOnlyTheNamedFields() {
        SessionKey key = newKey();
        store.save(create(key, Map.of("#c", "1", "a:a", "s:1", "a:b", "s:2", "a:c", "s:3", "a:ab", "s:4")));

        store.save(update(key, Map.of(), Set.of("a:a", "a:c", "a:missing"), Map.of()));
        assertEquals(Map.of("#c", "1", "a:b", "s:2", "a:ab", "s:4"), withoutDeadline(store.load(key).fields()));
    }

    // ---- delete ---------------------------------------------------------------------------------------------

    @Test
    void delete_leavesATombstoneWithTheReasonAndATtl_andLoadReportsThatReason() {
        SessionKey key = newKey();
        store.save(create(key, Map.of("a:x", "s:1")));

        assertTrue(store.delete(key, null, "revoked"));
        assertEquals(0L, redis.call("EXISTS", hashKey(key)));
        assertEquals("revoked", redis.call("GET", prefix + "s:{" + key.tag() + "}" + key.hash() + ":gone"));
        long pttl = redis.ttl(tombstoneKey(key));
        assertTrue(pttl > 0 && pttl <= TOMBSTONE_TTL, "tombstone PTTL " + pttl);

        Loaded loaded = store.load(key);
        assertFalse(loaded.isFound());
        assertEquals("revoked", loaded.goneReason());
        assertFalse(store.delete(newKey(), null, "logout"), "deleting an unknown session reports it did not exist");
    }

    // ---- rotate ---------------------------------------------------------------------------------------------

    @Test
    void rotate_movesAllFieldsToTheNewKey_andTombstonesTheOld_inOneCall() {
        String oldId = ids.newId();
        SessionKey oldKey = ids.keyOf(oldId);
        SessionKey newKey = ids.keyOf(ids.rotate(oldId));
        assertEquals(oldKey.tag(), newKey.tag());
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < 50; i++) {
            fields.put("a:f" + i, "s:value " + i);
        }
        fields.put("#c", "123");
        store.save(create(oldKey, fields));
        layout.awaitExpiryEntries(1); // the creation's index entry; its script is cached now
        store.load(oldKey); // warm the script cache so the count below is of one call

        List<Optional<Map<String, String>>> result = new ArrayList<>();
        long before = now();
        List<String> sent = sentDuring(() -> {
            result.add(store.save(rotate(oldKey, newKey, Map.of("#u", "alice", "#a", "7"))));
            layout.awaitExpiryEntries(2);
        });

        assertEquals(Optional.of(Map.of()), result.get(0));
        // The rotation is one round trip; the new key's expiry-index entry is written without waiting for it.
        assertEquals(List.of("SAVE", "EXPIRY_PUSH"), sent, "rotation sent " + sent);
        Map<String, String> expected = new HashMap<>(fields);
        expected.put("#u", "alice");
        expected.put("#a", "7");
        Map<String, String> stored = hgetall(hashKey(newKey));
        assertEquals(expected, withoutDeadline(stored));
        assertTrue(Long.parseLong(stored.get("#e")) >= before + TTL, "#e " + stored.get("#e"));
        assertEquals(1, layout.whereIndexed(Layout.entry(newKey, null)).size(), "the new key is indexed once");
        assertEquals(0L, redis.call("EXISTS", hashKey(oldKey)));
        assertEquals("rotated", store.load(oldKey).goneReason());
        long newTtl = redis.ttl(hashKey(newKey));
        long tombstoneTtl = redis.ttl(tombstoneKey(oldKey));
        assertTrue(newTtl > TTL && newTtl <= TTL + LINGER, "PTTL " + newTtl);
        assertTrue(tombstoneTtl > 0 && tombstoneTtl <= TOMBSTONE_TTL, "tombstone PTTL " + tombstoneTtl);
    }

    @Test
    void rotate_ofASessionThatEndedMeanwhile_isEmpty_andCreatesNothing() {
        String oldId = ids.newId();
        SessionKey oldKey = ids.keyOf(oldId);
        SessionKey newKey = ids.keyOf(ids.rotate(oldId));
        store.save(create(oldKey, Map.of("a:x", "s:1")));
        store.delete(oldKey, null, "logout");

        assertEquals(Optional.empty(), store.save(rotate(oldKey, newKey, Map.of("#u", "mallory"))));
        assertEquals(0L, redis.call("EXISTS", hashKey(newKey)));
        assertEquals("logout", store.load(oldKey).goneReason(), "the logout tombstone was replaced");
    }

    /** 5,000 one-character attributes ("a:k1" = "i:1") take about 50 KB: within a 64 KB session budget. */
    @Test
    void rotate_ofASessionWithManySmallAttributes_movesThemAll() {
        String oldId = ids.newId();
        SessionKey oldKey = ids.keyOf(oldId);
        SessionKey newKey = ids.keyOf(ids.rotate(oldId));
        List<String> hset = new ArrayList<>(List.of("HSET", hashKey(oldKey)));
        for (int i = 0; i < 5000; i++) {
            hset.add("a:k" + i);
            hset.add("i:1");
        }
        redis.call(hset.toArray(String[]::new));
        redis.call("PEXPIRE", hashKey(oldKey), Long.toString(TTL));

        Optional<Map<String, String>> result = store.save(rotate(oldKey, newKey, Map.of("#u", "alice")));
        assertEquals(Optional.of(Map.of()), result);
        Map<String, String> moved = hgetall(hashKey(newKey));
        assertEquals(5002, moved.size(), "5,000 attributes, #u and the deadline #e");
        assertEquals("alice", moved.get("#u"));
        assertTrue(moved.containsKey("#e"));
    }

    /** The same session budget allows one request to set 5,000 small attributes at once. */
    @Test
    void save_ofManySmallAttributesAtOnce_writesThemAll() {
        SessionKey key = newKey();
        Map<String, String> fields = new HashMap<>();
        for (int i = 0; i < 5000; i++) {
            fields.put("a:k" + i, "i:1");
        }
        assertEquals(Optional.of(Map.of()), store.save(create(key, fields)));
        assertEquals(fields, withoutDeadline(store.load(key).fields()));
    }

    // ---- increments -----------------------------------------------------------------------------------------

    @Test
    void increments_200ConcurrentFrom8Threads_endAtExactly200_andKeepTheLongTag() throws Exception {
        SessionKey key = newKey();
        store.save(create(key, Map.of("#c", "1")));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Callable<Void> worker = () -> {
                    start.await();
                    for (int i = 0; i < 25; i++) {
                        Map<String, String> out = store.save(update(key, Map.of("#a", "1"), Set.of(),
                                Map.of("a:n", 1L))).orElseThrow();
                        seen.add(out.get("a:n"));
                    }
                    return null;
                };
                futures.add(pool.submit(worker));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals("200", store.load(key).fields().get("a:n"));
        Set<String> expected = new HashSet<>();
        for (int i = 1; i <= 200; i++) {
            expected.add(Integer.toString(i));
        }
        assertEquals(200, seen.size());
        assertEquals(expected, new HashSet<>(seen), "every increment returned its own new value");
    }

    @Test
    void increment_ofAnIntegerValue_keepsTheIntegerTag() {
        SessionKey key = newKey();
        store.save(create(key, Map.of("a:i", "i:5", "a:l", "5")));

        assertEquals(Optional.of(Map.of("a:i", "i:7", "a:l", "2")),
                store.save(update(key, Map.of(), Set.of(), Map.of("a:i", 2L, "a:l", -3L))));
        assertEquals("i:7", store.load(key).fields().get("a:i"));
        assertEquals("2", store.load(key).fields().get("a:l"));
    }

    @Test
    void increment_ofAMissingOrNonNumericValue_startsFromZeroAsALong() {
        SessionKey key = newKey();
        store.save(create(key, Map.of("a:s", "s:text", "a:bad", "i:abc")));

        assertEquals(Optional.of(Map.of("a:s", "4", "a:bad", "4", "a:new", "4")), store.save(update(key,
                Map.of(), Set.of(), Map.of("a:s", 4L, "a:bad", 4L, "a:new", 4L))));
    }

    @Test
    void increment_ofALongBeyond2Pow53_isExact() {
        SessionKey key = newKey();
        long big = (1L << 53) + 1; // 9007199254740993: not representable as a double
        store.save(create(key, Map.of("a:big", Long.toString(big), "a:max", Long.toString(Long.MAX_VALUE - 10))));

        Map<String, String> out = store.save(update(key, Map.of(), Set.of(), Map.of("a:big", 2L, "a:max", 1L)))
                .orElseThrow();
        assertEquals(Long.toString(big + 2), out.get("a:big"));
        assertEquals(Long.toString(Long.MAX_VALUE - 9), out.get("a:max"));
    }

    @Test
    void increment_ofAnIntegerAtItsMaximum_leavesAValueTheCodecCanRead() {
        SessionKey key = newKey();
        store.save(create(key, Map.of("a:n", "i:" + Integer.MAX_VALUE)));

        String stored = store.save(update(key, Map.of(), Set.of(), Map.of("a:n", 1L))).orElseThrow().get("a:n");
        Object decoded;
        try {
            decoded = new AttributeCodec(Map.of()).decode(stored);
        } catch (RuntimeException e) {
            throw new AssertionError("incrementing i:" + Integer.MAX_VALUE + " stored the unreadable '" + stored + "'",
                    e);
        }
        assertEquals(Integer.MAX_VALUE + 1L, ((Number) decoded).longValue());
    }

    // ---- the session-creation limit ---------------------------------------------------------------------------

    private static SessionWrite createFor(ClientRef client, SessionKey key) {
        return new SessionWrite(key, null, true, Map.of("#c", "1", "a:x", "s:1"), Set.of(), Map.of(), TTL, null, 0)
                .withCreator(client);
    }

    @Test
    void newAnonymousSessions_areLimitedPerClientAndWindow_inTheSameScript_andTheWindowEnds() {
        store = new RedissonSessionStore(client, prefix, TOMBSTONE_TTL, USER_KEYS_TTL, MAX_PER_USER, 3, 1_500, LINGER);
        ClientRef flooder = ids.clientRef("198.51.100.1");
        ClientRef other = ids.clientRef("198.51.100.2");
        assertTrue(store.save(createFor(flooder, ids.keyOf(ids.newIdIn(flooder.tag())))).isPresent()); // script cached
        layout.awaitExpiryEntries(1);
        List<String> sent = sentDuring(() -> {
            for (int i = 0; i < 2; i++) {
                assertTrue(store.save(createFor(flooder, ids.keyOf(ids.newIdIn(flooder.tag())))).isPresent());
            }
            layout.awaitExpiryEntries(3);
        });
        // One round trip per creation, the count included; each new key's expiry-index entry is written without
        // waiting for it.
        assertEquals(List.of("EXPIRY_PUSH", "EXPIRY_PUSH", "SAVE", "SAVE"), sent.stream().sorted().toList(),
                "two creations sent " + sent);
        assertEquals(2, runByScriptsDuring(() -> {
            for (int i = 0; i < 2; i++) {
                store.save(createFor(other, ids.keyOf(ids.newIdIn(other.tag()))));
            }
        }).stream().filter("incr"::equals).count(), "counted inside the script");
        SessionKey refusedKey = ids.keyOf(ids.newIdIn(flooder.tag()));
        TooManyNewSessionsException e = assertThrows(TooManyNewSessionsException.class,
                () -> store.save(createFor(flooder, refusedKey)));
        assertTrue(e.retryAfterSeconds() >= 1 && e.retryAfterSeconds() <= 2, "retry after " + e.retryAfterSeconds());
        assertEquals(0L, redis.call("EXISTS", hashKey(refusedKey)), "nothing stored beyond the limit");
        assertTrue(store.save(createFor(other, ids.keyOf(ids.newIdIn(other.tag())))).isPresent(),
                "another client (its third creation)");

        // The counter is in the client's slot, has the window as TTL, and names neither the address nor an id.
        String counter = prefix + "n:{" + flooder.tag() + "}" + flooder.hash();
        long pttl = redis.ttl(counter);
        assertTrue(pttl > 0 && pttl <= 1_500, "counter PTTL " + pttl);
        assertFalse(counter.contains("198.51.100.1"));

        // Updates of the stored sessions and sign-ins are not counted.
        SessionKey signedIn = ids.keyOf(ids.newIdIn(flooder.tag()));
        assertTrue(store.save(new SessionWrite(signedIn, null, true, Map.of("#c", "1"), Set.of(), Map.of(), TTL,
                new org.redsession.session.UserRef(flooder.tag(), "alice"), 1)).isPresent());

        // When the window ends the client may create again.
        Poll.until(Duration.ofSeconds(10), "the creation window to end", () -> redis.ttl(counter) < 0);
        assertTrue(store.save(createFor(flooder, ids.keyOf(ids.newIdIn(flooder.tag())))).isPresent());
    }

    @Test
    void withoutALimit_theCreatorIsNotCounted() {
        ClientRef client = ids.clientRef("198.51.100.3");
        for (int i = 0; i < 5; i++) {
            assertTrue(store.save(createFor(client, ids.keyOf(ids.newIdIn(client.tag())))).isPresent());
        }
        assertEquals(0L, redis.call("EXISTS", prefix + "n:{" + client.tag() + "}" + client.hash()));
    }

    // ---- keys: TTLs, no raw ids -----------------------------------------------------------------------------

    @Test
    void everyKeyTheStoreWrites_hasATtl_andNoneContainsARawSessionId() {
        List<String> idsUsed = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = ids.newId();
            String rotatedId = ids.rotate(id);
            idsUsed.add(id);
            idsUsed.add(rotatedId);
            SessionKey key = ids.keyOf(id);
            store.save(create(key, Map.of("#c", "1", "a:x", "s:" + i)));
            store.save(update(key, Map.of("a:y", "s:y"), Set.of("a:x"), Map.of("a:n", 1L)));
            if (i % 2 == 0) {
                store.save(rotate(key, ids.keyOf(rotatedId), Map.of("#u", "u" + i)));
            }
            if (i % 3 == 0) {
                store.delete(i % 2 == 0 ? ids.keyOf(rotatedId) : key, null, "logout");
            }
        }
        store.delete(newKey(), null, "revoked"); // a tombstone for a session that was never stored
        layout.awaitExpiryEntries(5 + 3); // each new key (5 creations, 3 rotations) is indexed once

        List<String> keys = redis.scanKeys(prefix + "*");
        List<String> sessionKeys = keys.stream().filter(k -> k.startsWith(prefix + "s:{")).toList();
        List<String> expiryLists = layout.expiryLists();
        // i=0: 2 tombstones (rotated, then the new key deleted); 1: hash; 2: tombstone + hash; 3: tombstone;
        // 4: tombstone + hash; plus the tombstone of the unknown session
        assertEquals(9, sessionKeys.size(), keys.toString());
        assertEquals(keys.size(), sessionKeys.size() + expiryLists.size(), "keys other than sessions and the expiry "
                + "index: " + keys);
        List<String> texts = new ArrayList<>(keys);
        layout.expiryEntries().values().forEach(texts::addAll);
        for (String k : keys) {
            long pttl = redis.ttl(k);
            assertTrue(pttl > 0, k + " has PTTL " + pttl);
        }
        for (String text : texts) {
            for (String id : idsUsed) {
                assertFalse(text.contains(id), text + " contains the id " + id);
                String random = id.substring(4);
                for (int i = 0; i + 8 <= random.length(); i++) {
                    assertFalse(text.contains(random.substring(i, i + 8)), text + " contains part of the id " + id);
                }
            }
        }
    }

    // ---- command budget -------------------------------------------------------------------------------------

    @Test
    void loadAndSave_areOneScriptRoundTripEach_andNeverUseKeysScanOrRename() {
        SessionKey warm = newKey();
        store.load(warm);
        store.save(create(warm, Map.of("a:x", "s:1")));
        store.delete(warm, null, "logout");
        SessionKey key = newKey();
        store.save(create(key, Map.of("a:x", "s:1", "a:n", "1")));
        layout.awaitExpiryEntries(2); // the creations' index entries, written without waiting, are in

        Map<String, Long> before = redis.commandCalls();
        Loaded loaded = store.load(key);
        Map<String, Long> afterLoad = redis.commandCalls();
        store.save(update(key, Map.of("a:y", "s:2", "#a", "5"), Set.of("a:x"), Map.of("a:n", 1L)));
        Map<String, Long> afterSave = redis.commandCalls();
        store.delete(key, null, "logout");
        Map<String, Long> afterDelete = redis.commandCalls();

        assertTrue(loaded.isFound());
        assertEquals(1, scriptRoundTrips(before, afterLoad), "load: " + outerCommands(before, afterLoad));
        assertEquals(1, scriptRoundTrips(afterLoad, afterSave), "save: " + outerCommands(afterLoad, afterSave));
        assertEquals(1, scriptRoundTrips(afterSave, afterDelete), "delete: " + outerCommands(afterSave, afterDelete));
        assertEquals(1, total(outerCommands(before, afterLoad)), "load issued " + outerCommands(before, afterLoad));
        assertEquals(1, total(outerCommands(afterLoad, afterSave)), "save issued " + outerCommands(afterLoad, afterSave));
        assertEquals(1, total(outerCommands(afterSave, afterDelete)),
                "delete issued " + outerCommands(afterSave, afterDelete));
        assertEquals(1, delta(before, afterLoad, "hgetall"), "load reads the hash once");
        for (String forbidden : List.of("keys", "scan", "rename", "renamenx", "hscan", "sscan")) {
            assertEquals(0, delta(before, afterDelete, forbidden), forbidden);
        }
        // An update indexes nothing (the sweep moves the entry of a session used since it was indexed): a later
        // creation's entry lands, and no other.
        store.save(create(newKey(), Map.of("a:x", "s:1")));
        layout.awaitExpiryEntries(3);
    }

    /**
     * With the script cache, a script Redis does not know yet (first use, or after a Redis restart) costs EVALSHA
     * (answered NOSCRIPT), SCRIPT LOAD and EVALSHA again; every later call is one EVALSHA. Never KEYS, SCAN or RENAME.
     */
    @Test
    void firstUseOfAScript_loadsItOnce_andLaterCallsAreOneRoundTrip() {
        redis.call("SCRIPT", "FLUSH");
        SessionKey key = newKey();
        Map<String, Long> before = redis.commandCalls();
        Loaded first = store.load(key);
        Map<String, Long> afterFirst = redis.commandCalls();
        Loaded second = store.load(key);
        Map<String, Long> afterSecond = redis.commandCalls();

        assertEquals("expired", first.goneReason());
        assertEquals("expired", second.goneReason());
        Map<String, Long> outer = outerCommands(before, afterFirst);
        assertTrue(delta(before, afterFirst, "script|load") <= 1, "first use issued " + outer);
        assertTrue(scriptRoundTrips(before, afterFirst) >= 1 && scriptRoundTrips(before, afterFirst) <= 2,
                "first use issued " + outer);
        assertTrue(total(outer) <= 3, "first use issued " + outer);
        assertEquals(1, total(outerCommands(afterFirst, afterSecond)),
                "second use issued " + outerCommands(afterFirst, afterSecond));
        for (String forbidden : List.of("keys", "scan", "rename", "renamenx")) {
            assertEquals(0, delta(before, afterSecond, forbidden), forbidden);
        }
    }
}
