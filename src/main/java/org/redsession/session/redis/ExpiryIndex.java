package org.redsession.session.redis;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.redisson.api.BatchResult;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RScriptAsync;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;
import org.redsession.session.AuditEvent;
import org.redsession.session.AuditLog;
import org.redsession.session.SessionKey;
import org.redsession.session.SessionStoreUnavailableException;
import org.redsession.session.SessionStore.ExpiredSession;
import org.redsession.session.UserRef;

/**
 * The cluster-wide bookkeeping of sessions, at a cost that follows what changes, never the number of users:
 * <ul>
 * <li><b>Expiry index.</b> When a session key is first written, an entry {@code <tag><hash><user>} is appended to the
 * list of the 30-second bucket of its deadline. Buckets take turns over {@value RedisKeys#SHARDS} shards (slot tags),
 * so a cluster's nodes share the work over time, and a bucket is one key however many sessions it holds. A session
 * that is used later is not indexed again: when its old bucket comes due, the sweep sees it is still live and moves
 * the entry to the bucket of its current deadline. So a session has one live entry, and the sweep reads only the
 * buckets that came due.</li>
 * <li><b>Exactly-once expiry.</b> A session stays in Redis for a short <em>linger</em> after its deadline (unreadable:
 * load and save treat it as expired), so the sweep can claim it: {@code expiry-claim.lua} deletes it and leaves the
 * tombstone {@code expired|<claim>}, atomically, so only one instance gets it. After the listeners ran, the claim is
 * acknowledged (tombstone {@code expired}) before the next session is announced. A claim that is not acknowledged
 * within {@value #CLAIM_MS} ms (its instance died) is taken over by the next sweep: announced at least once, and twice
 * only if an instance dies between a listener's return and the acknowledgement that follows it.</li>
 * <li><b>Leases.</b> Each shard is swept under its own lease, so instances share the work and a dead sweeper's shards
 * are taken over when its lease ends.</li>
 * <li><b>Counts.</b> The signed-in sessions of each shard are counted by the writes that start and end them (sign-in,
 * sign-out, revocation, eviction, expiry); reading the total reads {@value RedisKeys#SHARDS} keys.</li>
 * </ul>
 * Sessions of an instance that is down for longer than the linger expire without an announcement (their keys are
 * gone when the sweep comes).
 */
final class ExpiryIndex {
    private static final Logger LOG = Logger.getLogger(ExpiryIndex.class.getName());
    /** Width of a bucket of deadlines. */
    static final long BUCKET_MS = 30_000;
    /** A bucket is swept once it ended this long ago (clocks of instances differ a little). */
    static final long SETTLE_MS = 2_000;
    /** How long a claim protects a session from other sweepers before it lapses. */
    static final long CLAIM_MS = 30_000;
    /** Lease of one shard's sweep; renewed after every batch. */
    static final long LEASE_MS = 30_000;
    private static final int BATCH = 200;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final RedissonClient redisson;
    private final RedisKeys keys;
    private final long lingerMillis;
    private final long tombstoneTtlMillis;
    private final long countTtlMillis;

    /**
     * @param lingerMillis       how long a session stays in Redis past its deadline for the sweep to claim it
     * @param tombstoneTtlMillis TTL of the tombstone a claim leaves
     * @param countTtlMillis     TTL of a shard's count, renewed on every change (longer than any session lives)
     */
    ExpiryIndex(RedissonClient redisson, RedisKeys keys, long lingerMillis, long tombstoneTtlMillis, long countTtlMillis) {
        this(redisson, keys, lingerMillis, tombstoneTtlMillis, countTtlMillis, new AuditTrail(keys, 0, 1));
    }

    ExpiryIndex(RedissonClient redisson, RedisKeys keys, long lingerMillis, long tombstoneTtlMillis, long countTtlMillis,
            AuditTrail trail) {
        this.trail = trail;
        this.redisson = redisson;
        this.keys = keys;
        this.lingerMillis = lingerMillis;
        this.tombstoneTtlMillis = tombstoneTtlMillis;
        this.countTtlMillis = countTtlMillis;
    }

    private final AuditTrail trail;

    long lingerMillis() {
        return lingerMillis;
    }

    /**
     * Indexes a session key under the bucket of its deadline and adds {@code countDelta} to the count of signed-in
     * sessions (in the bucket's shard: only the sum over shards matters). One call, not awaited: a failure is logged.
     */
    void index(SessionKey key, UserRef user, long deadline, long countDelta) {
        String entry = key.tag() + key.hash() + (user == null ? "" : user.username());
        logFailure(push(entry, deadline, countDelta), "indexing a session's expiry");
    }

    /** The bucket of a deadline (epoch ms). */
    static long bucketOf(long deadline) {
        return Math.floorDiv(deadline, BUCKET_MS);
    }

    /** The shard of a bucket: buckets take turns. */
    static int shardOfBucket(long bucket) {
        return (int) Math.floorMod(bucket, (long) RedisKeys.SHARDS);
    }

    private RFuture<Object> push(String entry, long deadline, long countDelta) {
        long bucket = Math.floorDiv(deadline, BUCKET_MS);
        int shard = shardOfBucket(bucket);
        long ttl = Math.max(1_000, (bucket + 1) * BUCKET_MS + lingerMillis + 60_000 - System.currentTimeMillis());
        return redisson.getScript(StringCodec.INSTANCE).evalAsync(keys.expiry(shard, bucket), RScript.Mode.READ_WRITE,
                Scripts.EXPIRY_PUSH, RScript.ReturnType.LONG, List.of(keys.expiry(shard, bucket), keys.count(shard)),
                entry, Long.toString(ttl), Long.toString(countDelta), Long.toString(countTtlMillis));
    }

    /**
     * Adds to the count of signed-in sessions, in the shard of {@code tag} (only the sum over shards matters). Not
     * awaited: a failure is logged.
     */
    void count(String tag, long delta) {
        String key = keys.count(RedisKeys.shardOf(tag));
        logFailure(redisson.getScript(StringCodec.INSTANCE).evalAsync(key, RScript.Mode.READ_WRITE, Scripts.COUNT,
                RScript.ReturnType.LONG, List.of(key), Long.toString(delta), Long.toString(countTtlMillis)),
                "counting signed-in sessions");
    }

    /** The signed-in sessions of all shards: {@value RedisKeys#SHARDS} reads in one batch. */
    long countSignedIn() {
        try {
            RBatch batch = redisson.createBatch();
            for (int shard = 0; shard < RedisKeys.SHARDS; shard++) {
                batch.<String>getBucket(keys.count(shard), StringCodec.INSTANCE).getAsync();
            }
            long total = 0;
            for (Object n : batch.execute().getResponses()) {
                total += n == null ? 0 : Scripts.number(n);
            }
            return Math.max(0, total);
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
    }

    /** One sweep over every shard this instance can lease. @return sessions announced */
    int sweep(String owner, Consumer<ExpiredSession> announce) {
        String token = owner + ":" + HexFormat.of().formatHex(randomBytes());
        long now = System.currentTimeMillis();
        long due = Math.floorDiv(now - SETTLE_MS, BUCKET_MS) - 1;
        // Buckets that ended more than the linger ago hold no session any more: nothing there can be announced.
        long oldest = Math.floorDiv(now - lingerMillis, BUCKET_MS) - 1;
        List<Integer> shards = new ArrayList<>();
        for (int shard = 0; shard < RedisKeys.SHARDS; shard++) {
            shards.add(shard);
        }
        Collections.shuffle(shards); // several instances sweeping at once start on different shards
        String claimSha;
        try {
            claimSha = redisson.getScript(StringCodec.INSTANCE).scriptLoad(Scripts.EXPIRY_CLAIM);
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
        int announced = 0;
        for (int shard : shards) {
            if (!lease(shard, token, "take")) {
                continue;
            }
            try {
                announced += sweepShard(shard, token, claimSha, due, oldest, announce);
            } finally {
                try {
                    lease(shard, token, "release");
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "Expiry sweep: lease not released (it lapses by itself)", e);
                }
            }
        }
        return announced;
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return b;
    }

    private boolean lease(int shard, String token, String op) {
        Long done = Scripts.run(redisson, Scripts.LEASE, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.sweepLease(shard)), token, op, Long.toString(LEASE_MS));
        return done != null && done == 1;
    }

    private int sweepShard(int shard, String token, String claimSha, long due, long oldest,
            Consumer<ExpiredSession> announce) {
        String next;
        try {
            next = redisson.<String>getBucket(keys.sweepNext(shard), StringCodec.INSTANCE).get();
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
        // The shard's buckets are every SHARDS-th: the first one not before the cursor and not before the oldest.
        long from = next == null ? oldest : Math.max(oldest, Scripts.number(next));
        long bucket = from + Math.floorMod(shard - from, (long) RedisKeys.SHARDS);
        int announced = 0;
        while (bucket <= due) {
            String list = keys.expiry(shard, bucket);
            List<String> entries;
            try {
                entries = redisson.<String>getList(list, StringCodec.INSTANCE).range(0, BATCH - 1);
            } catch (RedisException e) {
                throw Scripts.unavailable(e);
            }
            if (!entries.isEmpty()) {
                announced += claimAll(bucket, entries, token, claimSha, announce);
            }
            boolean drained = entries.size() < BATCH;
            if (!progress(shard, token, list, entries.size(), drained ? bucket + RedisKeys.SHARDS : null)) {
                LOG.fine(() -> "Expiry sweep: lease of shard " + shard + " lost; another instance goes on");
                break;
            }
            if (drained) {
                bucket += RedisKeys.SHARDS;
            }
        }
        return announced;
    }

    private static AuditEvent expiredEvent(long now, String user, SessionKey key) {
        return AuditEvent.of(now, AuditEvent.EXPIRED, user, key.hash(), "expired", "system");
    }

    private int claimAll(long bucket, List<String> entries, String token, String claimSha,
            Consumer<ExpiredSession> announce) {
        long now = System.currentTimeMillis();
        RBatch batch = redisson.createBatch();
        RScriptAsync script = batch.getScript(StringCodec.INSTANCE);
        List<SessionKey> sessionKeys = new ArrayList<>(entries.size());
        List<String> users = new ArrayList<>(entries.size());
        for (String entry : entries) {
            SessionKey key = new SessionKey(entry.substring(0, 4), entry.substring(4, 20));
            String user = entry.substring(20);
            sessionKeys.add(key);
            users.add(user);
            String session = keys.session(key);
            UserRef userRef = user.isEmpty() ? null : new UserRef(key.tag(), user);
            String owner = userRef == null ? session : keys.account(userRef);
            List<Object> args = new ArrayList<>(List.of(key.hash(), token, Long.toString(now),
                    Long.toString(now + CLAIM_MS), Long.toString(tombstoneTtlMillis)));
            args.addAll(trail.args(userRef == null ? null : expiredEvent(now, user, key)));
            script.evalShaAsync(session, RScript.Mode.READ_WRITE, claimSha, RScript.ReturnType.LIST,
                    List.of(session, keys.tombstone(key), owner, userRef == null ? session : trail.key(userRef)),
                    args.toArray());
        }
        BatchResult<?> results;
        try {
            results = batch.execute();
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
        int announced = 0;
        List<RFuture<?>> pending = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            @SuppressWarnings("unchecked")
            List<Object> r = (List<Object>) results.getResponses().get(i);
            String outcome = r == null || r.isEmpty() ? "ended" : String.valueOf(r.get(0));
            SessionKey key = sessionKeys.get(i);
            String user = users.get(i);
            switch (outcome) {
                case "claimed", "reclaimed" -> {
                    if ("claimed".equals(outcome) && !user.isEmpty()) {
                        AuditLog.write(expiredEvent(now, user, key)); // a reclaim's event was its first claim's
                    }
                    Map<String, String> fields = RedissonSessionStore.pairs(r.subList(1, r.size()));
                    try {
                        announce.accept(new ExpiredSession(key, user.isEmpty() ? null : user, fields));
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "Expiry sweep: announcing an expired session failed", e);
                    }
                    // Acknowledged before the next one is announced: an instance that dies leaves at most one
                    // announced session unacknowledged (announced again by the sweeper that takes over).
                    try {
                        Scripts.run(redisson, Scripts.EXPIRY_ACK, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                                List.of(keys.tombstone(key)), token);
                    } catch (SessionStoreUnavailableException e) {
                        LOG.log(Level.WARNING, "Expiry sweep: an acknowledgement failed; the session is announced "
                                + "again when the claim lapses", e);
                    }
                    if (!user.isEmpty()) {
                        count(key.tag(), -1);
                    }
                    announced++;
                }
                case "live" -> {
                    // Used since it was indexed: index it again under its current deadline (never this bucket).
                    long deadline = Math.max(Scripts.number(r.get(1)), (bucket + 1) * BUCKET_MS);
                    pending.add(push(entries.get(i), deadline, 0));
                }
                case "busy" -> {
                    // Another sweeper's claim is running: look again when it lapses (if it is acknowledged first,
                    // the entry is found ended then).
                    long until = r.size() > 1 ? Scripts.number(r.get(1)) : now + CLAIM_MS;
                    pending.add(push(entries.get(i), Math.max(until + 1, (bucket + 1) * BUCKET_MS), 0));
                }
                default -> {
                    // ended otherwise, or already announced
                }
            }
        }
        for (RFuture<?> f : pending) {
            try {
                f.toCompletableFuture().join();
            } catch (RuntimeException e) {
                // An unacknowledged claim lapses and is announced again; an entry not moved is lost: both logged.
                LOG.log(Level.WARNING, "Expiry sweep: a write after the claims failed", e);
            }
        }
        return announced;
    }

    private boolean progress(int shard, String token, String list, int done, Long next) {
        Long ok = Scripts.run(redisson, Scripts.EXPIRY_PROGRESS, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.sweepLease(shard), list, keys.sweepNext(shard)), token, Integer.toString(done),
                next == null ? "" : Long.toString(next), Long.toString(lingerMillis + 3_600_000L),
                Long.toString(LEASE_MS));
        return ok != null && ok == 1;
    }

    private static void logFailure(RFuture<?> future, String what) {
        future.whenComplete((r, e) -> {
            if (e != null) {
                LOG.log(Level.WARNING, "Redis: " + what + " failed (" + e.getClass().getSimpleName() + ")");
            }
        });
    }
}
