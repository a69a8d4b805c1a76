package org.redsession.session.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionKey;
import org.redsession.session.SessionStore.Loaded;
import org.redsession.session.SessionWrite;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;

/**
 * The near cache against a real redis-server: Redis tracks every key {@code load.lua} declares for the tracking
 * connection, every kind of change drops the entry, a write is seen by the first load after the fence, a passed
 * deadline is refused on a hit, a lost tracking connection empties the cache until a new one is up, and the bounds
 * hold. "Another instance" is a second store on the same Redis, without a near cache.
 */
class NearCacheTest {
    private static final long TTL = 600_000;
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private static RedisServer redis;
    private static RedissonClient client;

    private final SessionIds ids = new SessionIds(List.of("near-cache-test-secret-0123456789abcdef".getBytes(
            StandardCharsets.US_ASCII)));
    private String prefix;
    private NearCache cache;
    private RedissonSessionStore cached;
    private RedissonSessionStore other;

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
    void start() {
        start(1000);
    }

    private void start(int maxEntries) {
        if (cache != null) {
            cache.close();
        }
        prefix = "nc" + PREFIXES.incrementAndGet() + ":";
        cache = new NearCache(new NearCache.Target(URI.create(redis.url()), 0, null, null, null, false, Duration.ofSeconds(1)),
                new NearCache.Limits(maxEntries, 64L << 20, Duration.ofNanos(500_000), Duration.ofMillis(3)),
                new RedisKeys(prefix));
        cache.start();
        Poll.until(Duration.ofSeconds(10), "the tracking connection is up", cache::isUp);
        cached = new RedissonSessionStore(client, prefix, 120_000, 8 * 3_600_000L, 10, 0, 1, 30_000);
        cached.useNearCache(cache);
        other = new RedissonSessionStore(client, prefix, 120_000, 8 * 3_600_000L, 10, 0, 1, 30_000);
    }

    @AfterEach
    void stop() {
        cache.close();
    }

    private SessionKey newSession(Map<String, String> fields, long ttl) {
        SessionKey key = ids.keyOf(ids.newId());
        assertTrue(other.save(new SessionWrite(key, null, true, fields, Set.of(), Map.of(), ttl, null, 0)).isPresent());
        return key;
    }

    /** Loads through the cache until it is a hit (the first loads may bypass while the heartbeat proof is fresh). */
    private Loaded loadUntilHit(SessionKey key) {
        long before = cache.hits.sum();
        Loaded[] last = new Loaded[1];
        Poll.until(Duration.ofSeconds(5), "a load is served from the cache", () -> {
            last[0] = cached.load(key);
            return cache.hits.sum() > before;
        });
        return last[0];
    }

    private long evalshaCalls() {
        String stats = String.valueOf(redis.call("INFO", "commandstats"));
        return stats.lines().filter(l -> l.startsWith("cmdstat_evalsha:")).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("cmdstat_evalsha:calls=(\\d+),.*", "$1"))).orElse(0L);
    }

    private String hashKey(SessionKey key) {
        return prefix + "s:{" + key.tag() + "}" + key.hash();
    }

    @Test
    void aWarmSession_isLoadedFromTheCache_withoutAnyScriptRun() {
        SessionKey key = newSession(Map.of("#c", "1", "a:x", "s:1"), TTL);
        loadUntilHit(key);
        long scripts = evalshaCalls();
        long hits = cache.hits.sum();
        for (int i = 0; i < 100; i++) {
            Loaded l = cached.load(key);
            assertTrue(l.isFound());
            assertEquals("s:1", l.fields().get("a:x"));
        }
        assertEquals(scripts, evalshaCalls(), "no load reached Redis");
        assertTrue(cache.hits.sum() >= hits + 95, "hits: " + (cache.hits.sum() - hits));
    }

    @Test
    void everyChangeOfAKeyTheLoadDeclared_dropsTheEntry() {
        List<Consumer<SessionKey>> changes = List.of(
                k -> redis.call("HSET", hashKey(k), "a:x", "s:2"),
                k -> redis.call("DEL", hashKey(k)),
                k -> redis.call("SET", hashKey(k) + ":gone", "revoked"),
                k -> redis.call("HSET", prefix + "u:{" + k.tag() + "}nb", "someone", "1|revoked"),
                k -> redis.call("PEXPIRE", hashKey(k), "1"));
        for (Consumer<SessionKey> change : changes) {
            SessionKey key = newSession(Map.of("#c", "1", "a:x", "s:1"), TTL);
            loadUntilHit(key);
            assertEquals(1, cache.size());
            long invalidations = cache.invalidations.sum();
            change.accept(key);
            Poll.until(Duration.ofSeconds(5), "the change drops the entry", () -> cache.size() == 0);
            assertTrue(cache.invalidations.sum() > invalidations);
        }
    }

    @Test
    void aRevocationMarker_dropsEverySessionOfItsSlot_andOnlyThose() {
        SessionKey first = newSession(Map.of("#c", "1", "#u", "alice"), TTL);
        SessionKey second = ids.keyOf(ids.newId());
        SessionKey sameSlot = new SessionKey(first.tag(), second.hash());
        assertTrue(other.save(new SessionWrite(sameSlot, null, true, Map.of("#c", "1", "#u", "bob"), Set.of(), Map.of(),
                TTL, null, 0)).isPresent());
        SessionKey elsewhere = newSession(Map.of("#c", "1"), TTL);
        loadUntilHit(first);
        loadUntilHit(sameSlot);
        loadUntilHit(elsewhere);
        assertEquals(3, cache.size());
        // One session of the slot is forgotten by a request thread first (a local write), then the marker changes.
        cache.written(first);
        redis.call("HSET", prefix + "u:{" + first.tag() + "}nb", "carol", Long.toString(System.currentTimeMillis()) + "|revoked");
        Poll.until(Duration.ofSeconds(5), "the marker drops the slot's sessions", () -> cache.size() == 1);
        long scripts = evalshaCalls();
        assertTrue(cached.load(elsewhere).isFound());
        assertEquals(scripts, evalshaCalls(), "the other slot's session is still cached");
        // Cached again after the marker change, and dropped by the next one: the slot's tracking is renewed.
        loadUntilHit(sameSlot);
        redis.call("HSET", prefix + "u:{" + first.tag() + "}nb", "dave", "1|revoked");
        Poll.until(Duration.ofSeconds(5), "the next marker change drops it again", () -> cache.size() == 1);
    }

    @Test
    void aWriteOfThisInstance_keepsItsCopyCurrent_soTheNextReadIsAHit() {
        SessionKey key = newSession(Map.of("#c", "1", "a:n", "0"), TTL);
        loadUntilHit(key);
        for (int i = 1; i <= 20; i++) {
            Map<String, String> after = cached.save(new SessionWrite(key, null, false, Map.of("a:x", "s:" + i), Set.of(),
                    Map.of("a:n", 1L), TTL, null, 0)).orElseThrow();
            assertEquals(Integer.toString(i), after.get("a:n"));
            long scripts = evalshaCalls();
            long misses = cache.misses.sum();
            Loaded l = loadUntilHit(key);
            assertEquals(scripts, evalshaCalls(), "the read after this instance's write needed no load");
            assertEquals(misses, cache.misses.sum(), "the written state was in the cache");
            assertEquals(Integer.toString(i), l.fields().get("a:n"));
            assertEquals("s:" + i, l.fields().get("a:x"));
            assertEquals(String.valueOf(redis.call("HGET", hashKey(key), "#e")), l.fields().get("#e"));
        }
        // Another instance's write still reaches this copy (NOLOOP mutes only this connection's own writes).
        other.save(new SessionWrite(key, null, false, Map.of("a:x", "s:other"), Set.of(), Map.of(), TTL, null, 0));
        Poll.until(Duration.ofSeconds(5), "the other write drops the copy", () -> cache.size() == 0);
        assertEquals("s:other", loadUntilHit(key).fields().get("a:x"));
    }

    @Test
    void aRotationByThisInstance_dropsTheOldKey() {
        SessionKey old = newSession(Map.of("#c", "1", "a:x", "s:1"), TTL);
        loadUntilHit(old);
        SessionKey rotated = new SessionKey(old.tag(), ids.keyOf(ids.newId()).hash());
        assertTrue(cached.save(new SessionWrite(rotated, old, false, Map.of(), Set.of(), Map.of(), TTL, null, 0)).isPresent());
        assertEquals("rotated", cached.load(old).goneReason(), "the old id no longer works on this instance");
        assertEquals("s:1", cached.load(rotated).fields().get("a:x"));
    }

    @Test
    void flushAll_emptiesTheCache() {
        loadUntilHit(newSession(Map.of("#c", "1"), TTL));
        long flushes = cache.flushes.sum();
        redis.call("FLUSHALL");
        Poll.until(Duration.ofSeconds(5), "FLUSHALL empties the cache", () -> cache.size() == 0 && cache.flushes.sum() > flushes);
    }

    @Test
    void aWriteOnAnotherConnection_isSeenByEveryLoadAfterTheFence() {
        SessionKey key = newSession(Map.of("#c", "1", "a:n", "0"), TTL);
        loadUntilHit(key);
        int stale = 0;
        long hitsBefore = cache.hits.sum();
        for (int i = 1; i <= 2_000; i++) {
            // A read that the cache serves, then a write elsewhere, then the writer's fence, then a read here.
            cached.load(key);
            Map<String, String> after = other.save(new SessionWrite(key, null, false, Map.of(), Set.of(),
                    Map.of("a:n", 1L), TTL, null, 0)).orElseThrow();
            assertEquals(Integer.toString(i), after.get("a:n"));
            cached.awaitWritesVisible(); // what the writing instance does before it answers (the same fence)
            if (!Integer.toString(i).equals(cached.load(key).fields().get("a:n"))) {
                stale++;
            }
        }
        assertEquals(0, stale, "stale reads after the fence");
        assertTrue(cache.hits.sum() - hitsBefore > 1_000, "the cache served the reads between the writes: "
                + (cache.hits.sum() - hitsBefore));
    }

    @Test
    void aPassedDeadline_isRefusedOnAHit() {
        SessionKey key = newSession(Map.of("#c", "1"), 1_500);
        assertTrue(loadUntilHit(key).isFound());
        Poll.until(Duration.ofSeconds(10), "the deadline passes", () -> !cached.load(key).isFound());
        assertEquals("expired", cached.load(key).goneReason());
        assertTrue(redis.call("EXISTS", hashKey(key)).toString().equals("1"), "still in Redis (lingering for the sweep)");
    }

    @Test
    void aKilledTrackingConnection_emptiesTheCache_untilANewOneIsUp() {
        SessionKey key = newSession(Map.of("#c", "1", "a:x", "s:1"), TTL);
        loadUntilHit(key);
        long flushes = cache.flushes.sum();
        String clients = String.valueOf(redis.call("CLIENT", "LIST"));
        String id = clients.lines().filter(l -> l.contains("name=redsession-near-cache")).findFirst().orElseThrow()
                .replaceAll("^id=(\\d+) .*", "$1");
        redis.call("CLIENT", "KILL", "ID", id);
        Poll.until(Duration.ofSeconds(5), "the cache is emptied", () -> cache.flushes.sum() > flushes);
        // Changed while no tracking connection was up: the next hit must see it.
        other.save(new SessionWrite(key, null, false, Map.of("a:x", "s:2"), Set.of(), Map.of(), TTL, null, 0));
        Poll.until(Duration.ofSeconds(10), "a new tracking connection", cache::isUp);
        assertEquals("s:2", loadUntilHit(key).fields().get("a:x"));
    }

    @Test
    void theCacheStaysWithinItsBounds() {
        start(5);
        for (int i = 0; i < 20; i++) {
            loadUntilHit(newSession(Map.of("#c", "1"), TTL));
            assertTrue(cache.size() <= 5, "entries: " + cache.size());
        }
        assertTrue(cache.evictions.sum() >= 15);
    }

    @Test
    void aGoneSession_isNeverCached() {
        SessionKey key = newSession(Map.of("#c", "1"), TTL);
        other.delete(key, null, "logout");
        Poll.until(Duration.ofSeconds(5), "loads through the cache's connection", () -> {
            Optional<Loaded> l = cache.load(key);
            return l.isPresent() && "logout".equals(l.get().goneReason());
        });
        assertEquals(0, cache.size());
        assertFalse(cached.load(key).isFound());
    }
}
