package org.redsession.session.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Logger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.redsession.config.NearCacheSettings;
import org.redsession.config.RedisSettings;
import org.redsession.config.SecuritySettings;
import org.redsession.config.SessionSettings;
import org.redsession.session.AuditEvent;
import org.redsession.session.AuditLog;
import org.redsession.session.SessionKey;
import org.redsession.session.SessionStore;
import org.redsession.session.SessionStoreUnavailableException;
import org.redsession.session.SessionSummary;
import org.redsession.session.SessionWrite;
import org.redsession.session.TooManyNewSessionsException;
import org.redsession.session.UserRef;

/**
 * {@link SessionStore} on Redis (key layout in {@link RedisKeys}). Loading is one EVALSHA (fields, or the reason the
 * session ended, revocation markers included); saving is one EVALSHA that refuses to write a session that ended
 * meanwhile, applies only the changed fields, does atomic increments, sets the TTL and keeps the user's index in step
 * (with the per-user limit applied atomically at sign-in). Listing and revoking a user's sessions touch only that
 * user's keys: never KEYS or SCAN.
 */
@ApplicationScoped
public class RedissonSessionStore implements SessionStore {
    private static final Logger LOG = Logger.getLogger(RedissonSessionStore.class.getName());

    @Inject
    RedissonClient redisson;

    private RedisKeys keys;
    private long tombstoneTtlMillis;
    private long userKeysTtlMillis;
    private int maxPerUser;
    private int maxNewPerClient;
    private long newSessionWindowMillis;
    private long lingerMillis;
    private ExpiryIndex expiry;
    private AuditTrail trail;
    /** Null when off (by setting, or because the topology is not a single Redis). */
    private NearCache nearCache;

    /** For CDI. */
    public RedissonSessionStore() {
    }

    /** For tests and use outside CDI. */
    RedissonSessionStore(RedissonClient redisson, String keyPrefix, long tombstoneTtlMillis, long userKeysTtlMillis,
            int maxPerUser) {
        this(redisson, keyPrefix, tombstoneTtlMillis, userKeysTtlMillis, maxPerUser, 0, 1);
    }

    /** For tests: with a limit of {@code maxNewPerClient} anonymous sessions per client and window (0 = none). */
    RedissonSessionStore(RedissonClient redisson, String keyPrefix, long tombstoneTtlMillis, long userKeysTtlMillis,
            int maxPerUser, int maxNewPerClient, long newSessionWindowMillis) {
        this(redisson, keyPrefix, tombstoneTtlMillis, userKeysTtlMillis, maxPerUser, maxNewPerClient,
                newSessionWindowMillis, lingerFor(Duration.ofSeconds(10)));
    }

    /** For tests: with the linger of expired sessions given. */
    RedissonSessionStore(RedissonClient redisson, String keyPrefix, long tombstoneTtlMillis, long userKeysTtlMillis,
            int maxPerUser, int maxNewPerClient, long newSessionWindowMillis, long lingerMillis) {
        this.redisson = redisson;
        this.keys = new RedisKeys(keyPrefix);
        this.tombstoneTtlMillis = tombstoneTtlMillis;
        this.userKeysTtlMillis = userKeysTtlMillis;
        this.maxPerUser = maxPerUser;
        this.maxNewPerClient = maxNewPerClient;
        this.newSessionWindowMillis = newSessionWindowMillis;
        this.lingerMillis = lingerMillis;
        this.trail = new AuditTrail(keys, 50, 3_600_000L);
        this.expiry = new ExpiryIndex(redisson, keys, lingerMillis, tombstoneTtlMillis,
                userKeysTtlMillis + lingerMillis + 3_600_000L, trail);
    }

    /** For tests: with audit trails of at most {@code maxEvents} events (0 = none) kept {@code ttlMillis}. */
    void useAuditTrail(int maxEvents, long ttlMillis) {
        this.trail = new AuditTrail(keys, maxEvents, ttlMillis);
        this.expiry = new ExpiryIndex(redisson, keys, lingerMillis, tombstoneTtlMillis,
                userKeysTtlMillis + lingerMillis + 3_600_000L, trail);
    }

    @Inject
    void init(RedisSettings redisSettings, SessionSettings sessionSettings, SecuritySettings securitySettings,
            NearCacheSettings nearCacheSettings, MetricRegistry metrics) {
        keys = new RedisKeys(redisSettings.keyPrefix());
        tombstoneTtlMillis = sessionSettings.tombstoneTtl().toMillis();
        userKeysTtlMillis = sessionSettings.absoluteTimeout().toMillis();
        maxPerUser = sessionSettings.maxPerUser();
        maxNewPerClient = securitySettings.maxNewSessionsPerClient();
        newSessionWindowMillis = securitySettings.newSessionWindow().toMillis();
        lingerMillis = lingerFor(sessionSettings.sweepInterval());
        trail = new AuditTrail(keys, securitySettings.auditMaxEvents(), securitySettings.auditMaxAge().toMillis());
        expiry = new ExpiryIndex(redisson, keys, lingerMillis, tombstoneTtlMillis,
                userKeysTtlMillis + lingerMillis + 3_600_000L, trail);
        nearCache = NearCaches.start(redisSettings, nearCacheSettings, keys, metrics);
    }

    /** Created at start-up rather than at the first request, so the near cache's connection is up before it. */
    void onStart(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        LOG.fine(() -> "Session store ready" + (nearCache == null ? "" : " with a near cache"));
    }

    /** For tests: loads through this near cache (started and closed by the caller). */
    void useNearCache(NearCache cache) {
        this.nearCache = cache;
    }

    @PreDestroy
    void close() {
        if (nearCache != null) {
            nearCache.close();
        }
    }

    /**
     * How long an expired session stays in Redis (unreadable) for the sweep to announce it: a sweep interval, plus a
     * bucket of deadlines and the time a bucket settles, plus a minute of slack for a slow or restarted sweeper.
     */
    static long lingerFor(Duration sweepInterval) {
        return sweepInterval.toMillis() + ExpiryIndex.BUCKET_MS + ExpiryIndex.SETTLE_MS + 60_000L;
    }

    @Override
    public Loaded load(SessionKey key) {
        if (nearCache != null) {
            Optional<Loaded> cached = nearCache.load(key);
            if (cached.isPresent()) {
                return cached.get();
            }
        }
        List<Object> flat = Scripts.run(redisson, Scripts.LOAD, RScript.Mode.READ_ONLY, RScript.ReturnType.LIST,
                keys.loadKeys(key), Long.toString(System.currentTimeMillis()));
        return interpret(flat);
    }

    /** What load.lua's reply means: the fields, or why the session is gone. */
    static Loaded interpret(List<Object> flat) {
        Map<String, String> fields = pairs(flat);
        if (fields.isEmpty()) {
            return Loaded.gone(null);
        }
        if (fields.size() == 1 && fields.containsKey("#gone")) {
            return Loaded.gone(fields.get("#gone"));
        }
        return Loaded.found(fields);
    }

    @Override
    public long writeFenceNanos() {
        return nearCache == null ? 0 : nearCache.fenceNanos();
    }

    @Override
    public Optional<Map<String, String>> save(SessionWrite w) {
        boolean moveSlot = w.create() && w.retiredKey() != null;
        SessionKey retired = w.retiredKey() != null && !moveSlot ? w.retiredKey() : w.key();
        String mode = w.create() ? "create" : w.retiredKey() != null ? "rotate" : "update";
        if (moveSlot && !retire(w.retiredKey())) {
            // The anonymous session ended (signed out, expired) while this sign-in ran: nothing of it is carried over.
            return Optional.empty();
        }
        UserRef user = w.user();
        List<Object> scriptKeys = new ArrayList<>(keys.sessionKeys(w.key()));
        scriptKeys.addAll(keys.sessionKeys(retired));
        scriptKeys.add(user == null ? keys.session(w.key()) : keys.account(user));
        scriptKeys.add(keys.notBefore(w.key().tag()));
        boolean limited = w.creator() != null && maxNewPerClient > 0;
        scriptKeys.add(limited ? keys.newSessions(w.creator()) : keys.session(w.key()));
        AuditEvent audit = user == null ? null : w.audit();
        scriptKeys.add(audit == null ? keys.session(w.key()) : trail.key(user));
        long now = System.currentTimeMillis();
        List<Object> args = new ArrayList<>();
        args.add(mode);
        args.add(Long.toString(w.ttlMillis()));
        args.add(Long.toString(tombstoneTtlMillis));
        args.add(user == null ? "" : user.username());
        args.add(Long.toString(w.loginTime()));
        args.add(Long.toString(now));
        args.add(w.key().hash());
        args.add("rotate".equals(mode) ? retired.hash() : "");
        args.add(Integer.toString(maxPerUser));
        args.add(Long.toString(userKeysTtlMillis));
        args.add(limited ? Integer.toString(maxNewPerClient) : "0");
        args.add(Long.toString(newSessionWindowMillis));
        args.add(Long.toString(lingerMillis));
        args.add(Integer.toString(w.set().size()));
        w.set().forEach((f, v) -> {
            args.add(f);
            args.add(v);
        });
        args.add(Integer.toString(w.remove().size()));
        args.addAll(w.remove());
        args.add(Integer.toString(w.increments().size()));
        w.increments().forEach((f, d) -> {
            args.add(f);
            args.add(Long.toString(d));
        });
        // Updates go through the near cache's connection when it is up: the writing instance's copy then stays current
        // (the script returns the session's new state), so the next request of this session needs no load. Creations
        // and rotations do not: their script reads keys that do not exist (the new id's tombstone, the creator's
        // count), and Redis would keep a tracking entry for each until it is written, about 150 bytes per live
        // session for nothing (measured: docs/performance.md). Such a session is loaded, and tracked, on its next read.
        boolean throughNearCache = nearCache != null && "update".equals(mode);
        args.add(throughNearCache ? "1" : "0");
        if (audit != null) {
            addAuditArgs(args, audit, now);
        }
        Optional<List<Object>> written = Optional.empty();
        if (throughNearCache) {
            written = nearCache.save(scriptKeys, args, w.key(), null, user != null);
        }
        List<Object> flat = written.orElseGet(() -> Scripts.run(redisson, Scripts.SAVE, RScript.Mode.READ_WRITE,
                RScript.ReturnType.LIST, scriptKeys, args.toArray()));
        if (nearCache != null && written.isEmpty()) {
            // Written on another connection: drop this instance's copies now rather than when the invalidation comes.
            nearCache.written(w.key());
            if (retired != null) {
                nearCache.written(retired);
            }
        }
        flat = NearCache.withoutState(flat);
        if (flat.size() == 1 && "#gone".equals(flat.get(0))) {
            return Optional.empty();
        }
        if (flat.size() == 2 && "#limited".equals(flat.get(0))) {
            throw new TooManyNewSessionsException(Scripts.number(flat.get(1)));
        }
        Map<String, String> incremented = new LinkedHashMap<>();
        List<String> evicted = new ArrayList<>();
        boolean signedIn = false;
        boolean earlier = false;
        boolean newDevice = false;
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            String k = String.valueOf(flat.get(i));
            if ("#newdevice".equals(k)) {
                newDevice = true;
            } else if ("#evicted".equals(k)) {
                evicted.add(String.valueOf(flat.get(i + 1)));
            } else if ("#new".equals(k)) {
                signedIn = true;
            } else if ("#earlier".equals(k)) {
                // Indexed again only if the deadline moved into an earlier bucket (a request's own duration moves a
                // deadline capped by the absolute one by a few milliseconds either way).
                earlier = ExpiryIndex.bucketOf(now + w.ttlMillis()) < ExpiryIndex.bucketOf(Scripts.number(flat.get(i + 1)));
            } else {
                incremented.put(k, String.valueOf(flat.get(i + 1)));
            }
        }
        if (audit != null) {
            AuditLog.write(newDevice ? audit.asNewDevice() : audit);
            for (String h : evicted) {
                AuditLog.write(evictedEvent(audit, h));
            }
        }
        int ended = 0;
        if (!evicted.isEmpty() && user != null) {
            try {
                ended = deleteMany(user, evicted, "evicted", false);
                int n = ended;
                LOG.info(() -> "Per-user session limit: ended " + n + " older session(s)");
            } catch (SessionStoreUnavailableException e) {
                // The session is stored: the sign-in stands. The sessions to end are still in the index, so the
                // user's next sign-in ends them.
                LOG.warning(() -> "Per-user session limit: ending " + evicted.size()
                        + " older session(s) failed; the next sign-in retries (" + e.getMessage() + ")");
            }
        }
        long countDelta = (signedIn ? 1 : 0) - ended;
        if (w.create() || !"update".equals(mode) || earlier) {
            // A key that is new to the store, or whose deadline moved earlier than where it is indexed: index its
            // deadline, so the sweep finds it when it expires, and count the signed-in sessions this write started
            // and ended, in one call that the request does not wait for. (A later deadline needs nothing: the sweep
            // moves the entry when its old bucket comes due.)
            expiry.index(w.key(), user, now + w.ttlMillis(), countDelta);
        } else if (countDelta != 0) {
            expiry.count(w.key().tag(), countDelta);
        }
        return Optional.of(incremented);
    }

    /**
     * A sign-in's audit arguments for save.lua: its event, the device text to look for among earlier sign-ins (only
     * for sign-ins), the text around the handle of each eviction's event, the trail's bounds.
     */
    private void addAuditArgs(List<Object> args, AuditEvent audit, long now) {
        List<Object> bounds = trail.args(audit);
        args.add(bounds.get(0));
        boolean signIn = AuditEvent.SIGN_IN.equals(audit.event()) || AuditEvent.REAUTHENTICATED.equals(audit.event());
        String device = signIn ? audit.deviceText() : null;
        args.add(device == null ? "" : device);
        String marker = "@@";
        String template = evictedEvent(audit, marker).toStored();
        int at = template.indexOf("\"h\":\"" + marker + "\"");
        args.add(template.substring(0, at + 5));
        args.add(template.substring(at + 5 + marker.length()));
        args.add(bounds.get(1));
        args.add(bounds.get(2));
    }

    private static AuditEvent evictedEvent(AuditEvent signIn, String handle) {
        return AuditEvent.of(signIn.time(), AuditEvent.EVICTED, signIn.username(), handle, "evicted", "system");
    }

    @Override
    public boolean delete(SessionKey key, UserRef user, String reason) {
        return delete(key, user, reason, false, null);
    }

    @Override
    public boolean delete(SessionKey key, UserRef user, String reason, AuditEvent audit) {
        return delete(key, user, reason, false, audit);
    }

    /**
     * Retires an anonymous session that a sign-in moves into its user's slot (tombstone "rotated"), before its fields
     * are written under the new key; false, and nothing written, if it has ended meanwhile.
     */
    private boolean retire(SessionKey key) {
        return delete(key, null, "rotated", true, null);
    }

    private boolean delete(SessionKey key, UserRef user, String reason, boolean onlyIfLive, AuditEvent audit) {
        if (nearCache != null) {
            nearCache.written(key);
        }
        if (user == null) {
            audit = null;
        }
        List<Object> scriptKeys = new ArrayList<>(keys.sessionKeys(key));
        scriptKeys.add(user == null ? keys.session(key) : keys.account(user));
        scriptKeys.add(audit == null ? keys.session(key) : trail.key(user));
        List<Object> args = new ArrayList<>(List.of(reason, Long.toString(tombstoneTtlMillis),
                user == null ? "" : key.hash(), onlyIfLive ? "1" : "0", Long.toString(System.currentTimeMillis())));
        args.addAll(trail.args(audit));
        Long existed = Scripts.run(redisson, Scripts.DELETE, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                scriptKeys, args.toArray());
        boolean done = existed != null && existed > 0;
        if (done && user != null) {
            expiry.count(key.tag(), -1);
            AuditLog.write(audit);
        }
        return done;
    }

    @Override
    public List<SessionSummary> sessionsOf(UserRef user) {
        long now = System.currentTimeMillis();
        List<Object> handles = Scripts.run(redisson, Scripts.LIST, RScript.Mode.READ_WRITE, RScript.ReturnType.LIST,
                List.of(keys.account(user)), Long.toString(now));
        if (handles.isEmpty()) {
            return List.of();
        }
        List<Object> scriptKeys = new ArrayList<>();
        scriptKeys.add(keys.account(user));
        scriptKeys.add(keys.notBefore(user.tag()));
        List<Object> args = new ArrayList<>();
        args.add(user.username());
        args.add(Long.toString(now));
        for (Object h : handles) {
            scriptKeys.add(keys.session(user.tag(), String.valueOf(h)));
            args.add(String.valueOf(h));
        }
        List<Object> flat = Scripts.run(redisson, Scripts.SUMMARIES, RScript.Mode.READ_WRITE, RScript.ReturnType.LIST,
                scriptKeys, args.toArray());
        List<SessionSummary> result = new ArrayList<>();
        for (int i = 0; i + 4 < flat.size(); i += 5) {
            result.add(new SessionSummary(String.valueOf(flat.get(i)), Scripts.number(flat.get(i + 1)), Scripts.number(flat.get(i + 2)),
                    blankToNull(flat.get(i + 3)), blankToNull(flat.get(i + 4))));
        }
        return result;
    }

    @Override
    public boolean revoke(UserRef user, String handle, String reason) {
        return revoke(user, handle, reason, null);
    }

    @Override
    public boolean revoke(UserRef user, String handle, String reason, AuditEvent audit) {
        SessionKey key = new SessionKey(user.tag(), handle);
        if (nearCache != null) {
            nearCache.written(key);
        }
        List<Object> args = new ArrayList<>(List.of(handle, reason, Long.toString(tombstoneTtlMillis)));
        args.addAll(trail.args(audit));
        Long done = Scripts.run(redisson, Scripts.REVOKE, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.account(user), keys.session(key), keys.tombstone(key), trail.key(user)), args.toArray());
        boolean revoked = done != null && done == 1;
        if (revoked) {
            expiry.count(user.tag(), -1);
            AuditLog.write(audit);
        }
        return revoked;
    }

    @Override
    public int revokeAll(UserRef user, long notBefore, String reason, String keep) {
        return revokeAll(user, notBefore, reason, keep, null);
    }

    @Override
    public int revokeAll(UserRef user, long notBefore, String reason, String keep, AuditEvent audit) {
        List<Object> args = new ArrayList<>(List.of(user.username(), notBefore + "|" + reason,
                Long.toString(userKeysTtlMillis)));
        args.addAll(trail.args(audit));
        List<Object> handles = Scripts.run(redisson, Scripts.REVOKE_ALL, RScript.Mode.READ_WRITE, RScript.ReturnType.LIST,
                List.of(keys.notBefore(user.tag()), keys.account(user), trail.key(user)), args.toArray());
        AuditLog.write(audit);
        List<String> toDelete = new ArrayList<>();
        for (Object h : handles) {
            if (!String.valueOf(h).equals(keep)) {
                toDelete.add(String.valueOf(h));
            }
        }
        return toDelete.isEmpty() ? 0 : deleteMany(user, toDelete, reason);
    }

    /** Ends these sessions of the user (tombstones with the reason) and removes them from the index. */
    int deleteMany(UserRef user, List<String> handles, String reason) {
        return deleteMany(user, handles, reason, true);
    }

    /** @param count whether to take the ended sessions off the count of signed-in sessions here (else the caller does) */
    int deleteMany(UserRef user, List<String> handles, String reason, boolean count) {
        int deleted = 0;
        // Bounded scripts: a user with very many sessions is handled in slices of 500.
        for (int from = 0; from < handles.size(); from += 500) {
            List<String> slice = handles.subList(from, Math.min(handles.size(), from + 500));
            List<Object> scriptKeys = new ArrayList<>();
            scriptKeys.add(keys.account(user));
            List<Object> args = new ArrayList<>();
            args.add(reason);
            args.add(Long.toString(tombstoneTtlMillis));
            for (String h : slice) {
                SessionKey key = new SessionKey(user.tag(), h);
                if (nearCache != null) {
                    nearCache.written(key);
                }
                scriptKeys.add(keys.session(key));
                scriptKeys.add(keys.tombstone(key));
                args.add(h);
            }
            Long n = Scripts.run(redisson, Scripts.DELETE_MANY, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                    scriptKeys, args.toArray());
            deleted += n == null ? 0 : n.intValue();
        }
        if (deleted > 0 && count) {
            expiry.count(user.tag(), -deleted);
        }
        return deleted;
    }

    @Override
    public void recordFailedSignIn(UserRef user, AuditEvent audit) {
        List<Object> args = trail.args(audit);
        Long exists = Scripts.run(redisson, Scripts.AUDIT, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.account(user), trail.key(user)), args.toArray());
        if (exists != null && exists == 1) {
            AuditLog.write(audit); // a name that is no account is not logged: it may be a password typed in the wrong box
        }
    }

    @Override
    public List<AuditEvent> activity(UserRef user) {
        return trail.read(redisson, user);
    }

    @Override
    public long countSignedIn() {
        return expiry.countSignedIn();
    }

    @Override
    public int sweepExpired(String owner, Consumer<ExpiredSession> announce) {
        return expiry.sweep(owner, announce);
    }

    private static String blankToNull(Object o) {
        String s = o == null ? null : String.valueOf(o);
        return s == null || s.isEmpty() ? null : s;
    }

    /** Turns Redis' flat [k1, v1, k2, v2, ...] list into a map. */
    static Map<String, String> pairs(List<Object> flat) {
        if (flat == null || flat.isEmpty()) {
            return new HashMap<>();
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            map.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
        }
        return map;
    }
}
