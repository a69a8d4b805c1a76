package org.redsession.session.redis;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

import javax.net.ssl.SSLContext;

import org.redsession.session.SessionKey;
import org.redsession.session.SessionStore.Loaded;
import org.redsession.session.SessionStoreUnavailableException;

/**
 * A per-instance cache of loaded sessions that Redis keeps coherent (server-assisted client-side caching, RESP3
 * {@code CLIENT TRACKING}), so that most reads of a session need no round trip.
 *
 * <p><b>How it stays coherent.</b> Every cache-filling load runs {@code load.lua} on one dedicated RESP3 connection
 * with tracking on (the <em>tracking connection</em>, not Redisson's). Redis then remembers, for that connection,
 * every key the script declared (the session, its tombstone, its slot's revocation markers) and pushes an {@code
 * invalidate} message on the same connection as soon as any of them changes, is deleted or expires. Replies and pushes
 * are handled by one thread in the order Redis sent them, so an entry is installed before the invalidation of a later
 * write can be processed, and dropped by it. A {@code #e} deadline that passes is not a Redis event: every hit checks
 * it again, as {@code load.lua} does.
 *
 * <p><b>The fence: "after B answered" means "A knows".</b> Redis promises that an invalidation is queued before the
 * writer's reply, not that instance A has read it before the writer's client reaches A. So the tracking connection
 * sends a PING every {@code heartbeat}, and a PONG proves that every invalidation of a write that Redis executed before
 * that PING arrived has been processed. A cached read is served only if the last proven PING was sent at most {@code
 * fence} before the read began; and every answer to a request that wrote to Redis is held back by {@code fence} after
 * its writes ({@link #fenceNanos}, waited out by {@code SessionStore.awaitWritesVisible}). A request that reaches A after B's answer therefore began more than
 * {@code fence} after B's write, the PING it relies on was sent after that write, and the write's invalidation was
 * processed before it. Only elapsed time on each instance's monotonic clock is compared: no clock synchronisation, no
 * assumption about network delays, pauses or scheduling. When the proof is too old (a stalled reader, a slow Redis)
 * reads bypass the cache; they never wait for it.
 *
 * <p><b>When the connection is lost</b> (Redis restart, failover, a network cut, {@code CLIENT KILL}), or Redis sends
 * the "flush everything" invalidation ({@code FLUSHALL}), the cache is emptied and bypassed until a new tracking
 * connection is up; since no PONG can arrive over a dead connection, nothing cached before can be served after.
 *
 * <p>Bounded by entries and by an estimate of their bytes (oldest entries go first). Only {@code redis.mode=single}:
 * with Sentinel or Cluster the cache turns itself off (README, "Near cache").
 */
public final class NearCache implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NearCache.class.getName());
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long IDLE_PING_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Where the tracking connection goes, as Redisson's connections do. */
    public record Target(URI address, int database, String username, String password, SSLContext tls,
            boolean verifyHostname, Duration timeout) {
    }

    /** Bounds and timing (see {@link org.redsession.config.NearCacheSettings}). */
    public record Limits(int maxEntries, long maxBytes, Duration heartbeat, Duration fence) {
    }

    /** One cached session: its fields as load.lua returned them, and what a hit must check again. */
    private record Entry(Map<String, String> fields, long deadline, long bytes, long epoch) {
    }

    private final Target target;
    private final Limits limits;
    private final RedisKeys keys;
    private final Clock clock;
    private final long fenceNanos;
    private final long heartbeatNanos;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    /**
     * The cached sessions of each revocation-marker key (one per slot tag). Members are added and removed on the
     * reader thread only, in order with the invalidations, so a marker's invalidation always finds every session
     * cached under it; other threads only forget entries.
     */
    private final ConcurrentHashMap<String, Set<String>> byMarker = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
    private final AtomicLong bytes = new AtomicLong();
    private final Thread maintainer;

    private volatile Resp3Connection connection;
    private volatile String loadSha;
    private volatile String saveSha;
    private volatile long epoch;
    /** nanoTime at which the last PING whose PONG has been processed was sent; meaningful only while up. */
    private volatile long certified;
    private volatile boolean certifiedValid;
    private volatile long lastUse = System.nanoTime();
    /** When the oldest PING still waiting for its PONG was sent; 0 when none waits. */
    private volatile long unansweredSince;
    private long lastPing;
    /** Whether the maintainer sleeps a second at a time (no reads lately): the next read wakes it. */
    private volatile boolean idle;
    private volatile boolean closed;
    private volatile String lastConnectFailure;

    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder bypasses = new LongAdder();
    final LongAdder invalidations = new LongAdder();
    final LongAdder flushes = new LongAdder();
    final LongAdder evictions = new LongAdder();

    NearCache(Target target, Limits limits, RedisKeys keys) {
        this(target, limits, keys, Clock.systemUTC());
    }

    NearCache(Target target, Limits limits, RedisKeys keys, Clock clock) {
        this.target = target;
        this.limits = limits;
        this.keys = keys;
        this.clock = clock;
        this.fenceNanos = limits.fence().toNanos();
        this.heartbeatNanos = limits.heartbeat().toNanos();
        this.maintainer = Thread.ofPlatform().daemon().name("redsession-near-cache").unstarted(this::maintain);
    }

    /** Starts connecting in the background; until the tracking connection is up every read bypasses the cache. */
    void start() {
        maintainer.start();
    }

    /** Whether the tracking connection is up (reads may be served from the cache). */
    public boolean isUp() {
        Resp3Connection c = connection;
        return c != null && c.isOpen() && loadSha != null;
    }

    /** Number of cached sessions. */
    public int size() {
        return entries.size();
    }

    /** Estimated bytes of the cached sessions. */
    public long bytes() {
        return bytes.get();
    }

    /**
     * Loads a session: from the cache when the entry is there and the fence allows it; on a miss through the
     * tracking connection, filling the cache.
     *
     * @return empty when the cache cannot serve this read (not connected, the last heartbeat proof too old, the
     *         tracking connection lost meanwhile): the caller loads through Redisson
     * @throws SessionStoreUnavailableException when Redis answered with an error or not in time
     */
    Optional<Loaded> load(SessionKey key) {
        long began = System.nanoTime();
        lastUse = began;
        if (idle) {
            idle = false;
            LockSupport.unpark(maintainer);
        }
        Resp3Connection c = connection;
        String sha = loadSha;
        if (c == null || !c.isOpen() || sha == null) {
            bypasses.increment();
            return Optional.empty();
        }
        String sessionKey = keys.session(key);
        if (certifiedValid && certified - (began - fenceNanos) >= 0) {
            Entry e = entries.get(sessionKey);
            if (e != null && e.epoch() == epoch) {
                if (e.deadline() <= clock.millis()) {
                    forget(sessionKey);
                    hits.increment();
                    return Optional.of(Loaded.gone("expired").fromCache());
                }
                hits.increment();
                return Optional.of(Loaded.found(e.fields()).fromCache());
            }
            misses.increment();
            return loadThrough(c, sha, key, sessionKey);
        }
        // No recent proof (idle until now, or a stalled reader): this read goes to Redis the usual way.
        bypasses.increment();
        return Optional.empty();
    }

    private Optional<Loaded> loadThrough(Resp3Connection c, String sha, SessionKey key, String sessionKey) {
        List<Object> loadKeys = keys.loadKeys(key);
        String now = Long.toString(clock.millis());
        long sentEpoch = epoch;
        CompletableFuture<Object> reply = new CompletableFuture<>();
        // Runs on the reader thread, before it handles the next push: an invalidation that follows drops the entry.
        // The caller waits for it (not only for the reply), so what it loaded is cached when it goes on.
        CompletableFuture<Object> installed = reply.thenApply(r -> {
            install(sessionKey, r, sentEpoch);
            return r;
        });
        c.send(reply, null, "EVALSHA", sha, "3", loadKeys.get(0), loadKeys.get(1), loadKeys.get(2), now);
        Object r = await(c, installed);
        if (r == null) {
            return Optional.empty();
        }
        if (r instanceof Resp3Connection.ErrorReply error && error.message().startsWith("NOSCRIPT")) {
            // The script cache was flushed: run the script itself (and cache it again for the next loads).
            CompletableFuture<Object> again = new CompletableFuture<>();
            CompletableFuture<Object> againInstalled = again.thenApply(x -> {
                install(sessionKey, x, sentEpoch);
                return x;
            });
            c.send(again, null, "EVAL", Scripts.LOAD, "3", loadKeys.get(0), loadKeys.get(1), loadKeys.get(2), now);
            c.call("SCRIPT", "LOAD", Scripts.LOAD);
            r = await(c, againInstalled);
            if (r == null) {
                return Optional.empty();
            }
        }
        if (r instanceof Resp3Connection.ErrorReply error) {
            throw new SessionStoreUnavailableException("Redis refused the session load: " + error.message(), null);
        }
        return Optional.of(RedissonSessionStore.interpret(asList(r)));
    }

    /** The reply; null if the connection ended first (the caller falls back to Redisson). */
    private Object await(Resp3Connection c, CompletableFuture<Object> reply) {
        try {
            return reply.get(target.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // A stalled Redis: the connection is no longer trusted either.
            c.close();
            throw new SessionStoreUnavailableException("Redis is unavailable: RedisTimeoutException (near cache)", e);
        } catch (ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreUnavailableException("interrupted while loading a session", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object r) {
        return r instanceof List<?> l ? (List<Object>) l : List.of();
    }

    /** On the reader thread: caches a session that load.lua found (never a gone one). */
    private void install(String sessionKey, Object reply, long sentEpoch) {
        if (sentEpoch != epoch || !(reply instanceof List<?>)) {
            return;
        }
        Loaded loaded = RedissonSessionStore.interpret(asList(reply));
        if (!loaded.isFound()) {
            return;
        }
        Map<String, String> fields = loaded.fields();
        long size = 96;
        for (Map.Entry<String, String> f : fields.entrySet()) {
            size += 64 + 2L * (f.getKey().length() + f.getValue().length());
        }
        long deadline = Long.MAX_VALUE;
        String e = fields.get("#e");
        if (e != null) {
            try {
                deadline = Long.parseLong(e);
            } catch (NumberFormatException ignored) {
                return; // load.lua would not have served it as found; never cache what cannot be checked
            }
        }
        byMarker.computeIfAbsent(markerOf(sessionKey), m -> new HashSet<>()).add(sessionKey);
        Entry previous = entries.put(sessionKey, new Entry(fields, deadline, size, sentEpoch));
        bytes.addAndGet(size - (previous == null ? 0 : previous.bytes()));
        order.add(sessionKey);
        while (entries.size() > limits.maxEntries() || bytes.get() > limits.maxBytes()) {
            String oldest = order.poll();
            if (oldest == null) {
                break;
            }
            if (dropOnReader(oldest)) {
                evictions.increment();
            }
        }
    }

    /** The tracking connection ended before a command's outcome was known: it may or may not have run. */
    static final class OutcomeUnknownException extends SessionStoreUnavailableException {
        private static final long serialVersionUID = 1L;

        OutcomeUnknownException(Throwable cause) {
            super("Redis is unavailable: the connection ended before the write's answer (near cache)", cause);
        }
    }

    /**
     * Runs save.lua (its arguments ending with {@code '1'}: return the state) on the tracking connection, which
     * tracks with {@code NOLOOP}: this write does not invalidate this instance's own copy, which is replaced, in
     * order with the invalidations, by the state the script returns (or forgotten when it wrote nothing). A rotated
     * session's old key is forgotten (no invalidation comes for it either).
     *
     * @param cacheState whether the written state may be cached (false for writes without the session's user,
     *                   whose revocation marker the script did not check)
     * @return the script's reply; empty when the tracking connection is not up (nothing was sent: use Redisson)
     * @throws SessionStoreUnavailableException when the write may or may not have run (never retried)
     */
    Optional<List<Object>> save(List<Object> scriptKeys, List<Object> args, SessionKey key, SessionKey retired,
            boolean cacheState) {
        Resp3Connection c = connection;
        String sha = saveSha;
        if (c == null || !c.isOpen() || sha == null || loadSha == null) {
            return Optional.empty();
        }
        String sessionKey = keys.session(key);
        String retiredKey = retired == null ? null : keys.session(retired);
        long sentEpoch = epoch;
        Object[] command = new Object[3 + scriptKeys.size() + args.size()];
        command[0] = "EVALSHA";
        command[1] = sha;
        command[2] = Integer.toString(scriptKeys.size());
        int i = 3;
        for (Object k : scriptKeys) {
            command[i++] = k;
        }
        for (Object a : args) {
            command[i++] = a;
        }
        CompletableFuture<Object> reply = new CompletableFuture<>();
        // On the reader thread, in order with the pushes; the caller waits for it, so when save returns this
        // instance's copy is the written state (and a rotated session's old copy is gone).
        CompletableFuture<Object> applied = reply.thenApply(r -> {
            afterSave(sessionKey, retiredKey, r, sentEpoch, cacheState);
            return r;
        });
        boolean[] sent = new boolean[1];
        c.send(reply, () -> sent[0] = true, command);
        if (!sent[0]) {
            return Optional.empty();
        }
        Object r;
        try {
            r = applied.get(target.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            c.close();
            throw new SessionStoreUnavailableException("Redis is unavailable: RedisTimeoutException (near cache)", e);
        } catch (ExecutionException e) {
            throw new OutcomeUnknownException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreUnavailableException("interrupted while saving a session", e);
        }
        if (r instanceof Resp3Connection.ErrorReply error && error.message().startsWith("NOSCRIPT")) {
            // Nothing ran: the script cache was flushed. Load it again; this write goes through Redisson.
            c.call("SCRIPT", "LOAD", Scripts.SAVE);
            return Optional.empty();
        }
        if (r instanceof Resp3Connection.ErrorReply error) {
            throw new SessionStoreUnavailableException("Redis refused the session save: " + error.message(), null);
        }
        return Optional.of(asList(r));
    }

    /** On the reader thread, in order with the invalidations: the writer's copy becomes the written state. */
    private void afterSave(String sessionKey, String retiredKey, Object reply, long sentEpoch, boolean cacheState) {
        if (retiredKey != null) {
            dropOnReader(retiredKey);
        }
        dropOnReader(sessionKey);
        List<Object> flat = asList(reply);
        int at = flat.indexOf("#state");
        if (at < 0 || at + 1 >= flat.size()) {
            return; // nothing written (gone, limited): nothing to keep
        }
        List<Object> state = flat.subList(at + 2, flat.size());
        // A signed-in session is kept only if the script checked its user's revocation marker (it had the user).
        if (cacheState || !state.contains("#u")) {
            install(sessionKey, state, sentEpoch);
        }
    }

    /** save.lua's reply without the state it may end with. */
    static List<Object> withoutState(List<Object> flat) {
        int at = flat.indexOf("#state");
        return at < 0 ? flat : flat.subList(0, at);
    }

    /** Drops this instance's copy of a session it has just written or deleted (the invalidation will follow too). */
    void written(SessionKey key) {
        forget(keys.session(key));
    }

    /** Any thread: forgets the entry (its marker group is tidied on the reader thread when Redis invalidates it). */
    private boolean forget(String sessionKey) {
        Entry e = entries.remove(sessionKey);
        if (e == null) {
            return false;
        }
        bytes.addAndGet(-e.bytes());
        return true;
    }

    /** Reader thread only: forgets the entry and its membership of its marker's group. */
    private boolean dropOnReader(String sessionKey) {
        boolean had = forget(sessionKey);
        String marker = markerOf(sessionKey);
        Set<String> group = byMarker.get(marker);
        if (group != null && group.remove(sessionKey) && group.isEmpty()) {
            byMarker.remove(marker);
        }
        return had;
    }

    /** The revocation-marker key of a session key's slot: {@code <prefix>s:{tag}hash} -> {@code <prefix>u:{tag}nb}. */
    private String markerOf(String sessionKey) {
        return keys.notBefore(sessionKey.substring(sessionKey.indexOf('{') + 1, sessionKey.indexOf('}')));
    }

    /**
     * How long an answer to a request that wrote must be held back after its writes, for them to be visible to the
     * near caches of all instances (see the class comment).
     */
    public long fenceNanos() {
        return fenceNanos;
    }


    private void invalidated(List<Object> push) {
        if (push.isEmpty() || !"invalidate".equals(push.get(0))) {
            return;
        }
        Object body = push.size() > 1 ? push.get(1) : null;
        if (body == null) {
            // FLUSHALL / FLUSHDB, or Redis dropped its tracking table: everything goes.
            flush("Redis flushed every key");
            return;
        }
        for (Object k : asList(body)) {
            invalidations.increment();
            String key = String.valueOf(k);
            Set<String> group = byMarker.remove(key);
            if (group != null) {
                group.forEach(this::forget);
            } else if (key.endsWith(":gone")) {
                dropOnReader(key.substring(0, key.length() - ":gone".length()));
            } else if (key.indexOf('{') >= 0 && key.indexOf('}') > key.indexOf('{')) {
                dropOnReader(key);
            }
        }
    }

    private void flush(String why) {
        epoch++;
        certifiedValid = false;
        entries.clear();
        byMarker.clear();
        order.clear();
        bytes.set(0);
        flushes.increment();
        LOG.fine(() -> "Near cache emptied: " + why);
    }

    /** The maintainer: connects (with back-off), then sends heartbeats while the cache is in use. */
    private void maintain() {
        long backoff = 100;
        while (!closed) {
            Resp3Connection c = connection;
            if (c == null || !c.isOpen()) {
                if (connect()) {
                    backoff = 100;
                } else {
                    sleepMillis(backoff);
                    backoff = Math.min(5_000, backoff * 2);
                }
                continue;
            }
            long now = System.nanoTime();
            // In use: a heartbeat every period. Idle: one a second, to notice a dead connection; the first read after
            // an idle spell wakes this thread (see load).
            boolean inUse = now - lastUse < IDLE_NANOS;
            if (inUse || now - lastPing >= IDLE_PING_NANOS) {
                lastPing = now;
                ping(c, now);
            }
            idle = !inUse;
            LockSupport.parkNanos(inUse ? heartbeatNanos : IDLE_PING_NANOS);
        }
    }

    private void ping(Resp3Connection c, long now) {
        long waiting = unansweredSince;
        if (waiting != 0 && now - waiting > target.timeout().toNanos()) {
            LOG.warning("Near cache: no heartbeat answer within " + target.timeout().toMillis()
                    + " ms; reconnecting (the cache is bypassed meanwhile)");
            c.close();
            return;
        }
        long[] sent = new long[1];
        CompletableFuture<Object> pong = new CompletableFuture<>();
        pong.thenAccept(r -> {
            if ("PONG".equals(r)) {
                long s = sent[0];
                unansweredSince = 0;
                if (!certifiedValid || s - certified > 0) {
                    certified = s;
                    certifiedValid = true;
                }
            }
        });
        c.send(pong, () -> {
            sent[0] = System.nanoTime();
            if (unansweredSince == 0) {
                unansweredSince = sent[0];
            }
        }, "PING");
    }

    private boolean connect() {
        String host = target.address().getHost();
        int port = target.address().getPort() < 0 ? 6379 : target.address().getPort();
        Resp3Connection c = null;
        try {
            c = Resp3Connection.open(host, port, target.tls(), target.verifyHostname(),
                    (int) target.timeout().toMillis(), listener(), "redsession-near-cache-reader");
            Object hello = target.password() == null
                    ? handshake(c.call("HELLO", "3", "SETNAME", "redsession-near-cache"))
                    : handshake(c.call("HELLO", "3", "AUTH",
                            target.username() == null ? "default" : target.username(), target.password(),
                            "SETNAME", "redsession-near-cache"));
            expectOk(hello, "HELLO 3");
            if (target.database() != 0) {
                expectOk(handshake(c.call("SELECT", Integer.toString(target.database()))),
                        "SELECT");
            }
            // NOLOOP: this connection's own writes (save.lua) do not invalidate its copies; the reply replaces them.
            expectOk(handshake(c.call("CLIENT", "TRACKING", "ON", "NOLOOP")), "CLIENT TRACKING ON NOLOOP");
            Object sha = handshake(c.call("SCRIPT", "LOAD", Scripts.LOAD));
            expectOk(sha, "SCRIPT LOAD");
            Object save = handshake(c.call("SCRIPT", "LOAD", Scripts.SAVE));
            expectOk(save, "SCRIPT LOAD");
            saveSha = (String) save;
            flush("new tracking connection");
            unansweredSince = 0;
            loadSha = (String) sha;
            connection = c;
            if (lastConnectFailure != null) {
                LOG.info("Near cache: tracking connection up again; cached reads resume");
            } else {
                LOG.info(() -> "Near cache: tracking connection up (" + limits.maxEntries() + " sessions, "
                        + limits.maxBytes() / (1024 * 1024) + " MB at most; heartbeat " + limits.heartbeat().toNanos() / 1000
                        + " µs, fence " + limits.fence().toMillis() + " ms)");
            }
            lastConnectFailure = null;
            return true;
        } catch (IOException | RuntimeException e) {
            if (c != null) {
                c.close();
            }
            String why = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (!why.equals(lastConnectFailure)) {
                LOG.warning(() -> "Near cache: cannot open the tracking connection (" + why
                        + "); sessions are loaded without the cache until it can");
            }
            lastConnectFailure = why;
            return false;
        }
    }

    private static void expectOk(Object reply, String what) {
        if (reply instanceof Resp3Connection.ErrorReply error) {
            throw new IllegalStateException(what + " refused: " + error.message());
        }
    }

    private Object handshake(CompletableFuture<Object> reply) throws IOException {
        try {
            return reply.get(Math.max(1000, target.timeout().toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("no answer within the timeout", e);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private Resp3Connection.Listener listener() {
        return new Resp3Connection.Listener() {
            @Override
            public void push(List<Object> message) {
                invalidated(message);
            }

            @Override
            public void closed(Throwable cause) {
                loadSha = null;
                flush("tracking connection lost");
                if (!NearCache.this.closed) {
                    LOG.warning(() -> "Near cache: tracking connection lost (" + cause.getClass().getSimpleName() + ": "
                            + cause.getMessage() + "); emptied and bypassed until it is back");
                    lastConnectFailure = "lost";
                }
            }
        };
    }

    private static void sleepMillis(long millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Override
    public void close() {
        closed = true;
        Resp3Connection c = connection;
        if (c != null) {
            c.close();
        }
        LockSupport.unpark(maintainer);
    }
}
