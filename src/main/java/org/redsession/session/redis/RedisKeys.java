package org.redsession.session.redis;

import java.util.List;

import org.redsession.session.ClientRef;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionKey;
import org.redsession.session.UserRef;

/**
 * The one place that names Redis keys. Every key starts with the configured prefix. All keys of one session share
 * the hash tag {@code {<slot tag>}}; a signed-in session's tag is its user's tag ({@link SessionIds#userTag}), shared
 * with the user's account (which holds the user's session index) and revocation markers, so every multi-key script is
 * legal in Redis Cluster and accounts spread over all its slots. An anonymous session's tag is its creating client's
 * tag, shared with the client's creation counter. What is cluster-wide (the user directory, the expiry index, the
 * count of signed-in sessions) is split into {@value #SHARDS} shards with fixed tags, so no key grows with more than
 * its shard's share and periodic work reads a fixed number of keys.
 *
 * <pre>
 * &lt;prefix&gt;s:{tag}hash          session hash; #e = its deadline, min(idle, absolute) (TTL: #e + linger, see ExpiryIndex)
 * &lt;prefix&gt;s:{tag}hash:gone     tombstone of an ended session: the reason (TTL session.tombstone-ttl)
 * &lt;prefix&gt;a:{tag}name          account hash: pw, pk, roles, created; s:&lt;handle&gt; = deadline ms (the user's session
 *                              index; "-deadline" while a sign-in beyond the per-user limit is ending it). No TTL (accounts persist); a deleted account keeps only its index, with a TTL
 * &lt;prefix&gt;t:{tag}name          audit trail of a user: list of JSON events, newest first (trimmed to
 *                              security.audit.max-events; TTL security.audit.max-age from the last event)
 * &lt;prefix&gt;u:{tag}nb            revocation markers of the slot: hash user -&gt; "not-before ms|reason" (TTL absolute timeout)
 * &lt;prefix&gt;n:{tag}hash          anonymous sessions a client created in the current window (TTL the window)
 * &lt;prefix&gt;d:{dK}               user directory shard K: zset of names, score 0 (paged by name); no TTL
 * &lt;prefix&gt;x:{xK}:bucket        expiry index: list of "&lt;tag&gt;&lt;hash&gt;&lt;user&gt;" of sessions whose deadline falls in that
 *                              30-second bucket (epoch ms / 30000); K = bucket mod 16 (TTL: bucket end + linger + 1 min)
 * &lt;prefix&gt;x:{xK}:n             signed-in sessions of shard K (TTL the absolute timeout, renewed on change)
 * &lt;prefix&gt;x:{xK}:next          next bucket the sweep of shard K reads (TTL renewed by the sweep)
 * &lt;prefix&gt;x:{xK}:lease         the instance sweeping shard K (TTL the lease)
 * &lt;prefix&gt;{throttle}:a:hash    failed sign-ins of an account (keyed hash of the name; TTL the window)
 * &lt;prefix&gt;{throttle}:c:hash    failed sign-ins from a client address (keyed hash; TTL the window)
 * </pre>
 */
final class RedisKeys {
    /** Shards of the directory and of the expiry index. Fixed: changing it moves keys. */
    static final int SHARDS = 16;
    private static final String B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    String session(SessionKey key) {
        return prefix + "s:{" + key.tag() + "}" + key.hash();
    }

    String tombstone(SessionKey key) {
        return session(key) + ":gone";
    }

    List<Object> sessionKeys(SessionKey key) {
        return List.of(session(key), tombstone(key));
    }

    /** The session, its tombstone and the revocation markers of its slot. */
    List<Object> loadKeys(SessionKey key) {
        return List.of(session(key), tombstone(key), notBefore(key.tag()));
    }

    /** Revocation markers of the slot {@code tag} (shared by the users whose tag it is). */
    String notBefore(String tag) {
        return prefix + "u:{" + tag + "}nb";
    }

    String session(String tag, String handle) {
        return session(new SessionKey(tag, handle));
    }

    /** A user's account: also the user's session index and revocation marker. In the user's slot. */
    String account(UserRef user) {
        return prefix + "a:{" + user.tag() + "}" + user.username();
    }

    /** A user's audit trail, in the user's slot. */
    String audit(UserRef user) {
        return prefix + "t:{" + user.tag() + "}" + user.username();
    }

    String account(String username) {
        return account(new UserRef(SessionIds.userTag(username), username));
    }

    /** The count of anonymous sessions a client created in the current window; in the client's slot. */
    String newSessions(ClientRef client) {
        return prefix + "n:{" + client.tag() + "}" + client.hash();
    }

    String accountFailures(String accountHash) {
        return prefix + "{throttle}:a:" + accountHash;
    }

    String clientFailures(String client) {
        return prefix + "{throttle}:c:" + client;
    }

    /** The shard (0 to {@value #SHARDS} - 1) of a slot tag: from its first character. */
    static int shardOf(String tag) {
        int v = B64.indexOf(tag.charAt(0));
        return Math.max(0, v) % SHARDS;
    }

    /** The directory shard that lists a user name. */
    String directory(String username) {
        return directoryShard(shardOf(SessionIds.userTag(username)));
    }

    String directoryShard(int shard) {
        return prefix + "d:{d" + shard + "}";
    }

    /** The expiry list of one bucket of deadlines, in its shard. */
    String expiry(int shard, long bucket) {
        return prefix + "x:{x" + shard + "}:" + bucket;
    }

    /** Signed-in sessions of a shard. */
    String count(int shard) {
        return prefix + "x:{x" + shard + "}:n";
    }

    String sweepNext(int shard) {
        return prefix + "x:{x" + shard + "}:next";
    }

    String sweepLease(int shard) {
        return prefix + "x:{x" + shard + "}:lease";
    }
}
