package org.redsession.session.redis;

import java.util.ArrayList;
import java.util.List;

import org.redisson.api.RList;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;
import org.redsession.session.AuditEvent;
import org.redsession.session.UserRef;

/**
 * The per-user audit trails in Redis: a list per user, in the user's slot ({@link RedisKeys#audit}), newest first,
 * trimmed to {@code maxEvents} and expiring {@code ttlMillis} after its last event. Events are written by the scripts
 * that make them happen (sign-in, sign-out, revocations, evictions, expiry claims), in the same round trip; this class
 * gives those scripts their arguments and reads a trail back.
 */
final class AuditTrail {
    private final RedisKeys keys;
    private final int maxEvents;
    private final long ttlMillis;

    AuditTrail(RedisKeys keys, int maxEvents, long ttlMillis) {
        this.keys = keys;
        this.maxEvents = maxEvents;
        this.ttlMillis = ttlMillis;
    }

    /** Whether trails are kept in Redis at all (the server log gets every event either way). */
    boolean on() {
        return maxEvents > 0;
    }

    String key(UserRef user) {
        return keys.audit(user);
    }

    /** A script's audit arguments: the stored event ('' = none: off, or no event), the maximum length, the TTL. */
    List<Object> args(AuditEvent event) {
        List<Object> args = new ArrayList<>(3);
        args.add(on() && event != null ? event.toStored() : "");
        args.add(Integer.toString(Math.max(1, maxEvents)));
        args.add(Long.toString(ttlMillis));
        return args;
    }

    /** The user's trail, newest first, without events older than the age limit or entries that do not parse. */
    List<AuditEvent> read(RedissonClient redisson, UserRef user) {
        if (!on()) {
            return List.of();
        }
        List<String> stored;
        try {
            RList<String> list = redisson.getList(key(user), StringCodec.INSTANCE);
            stored = list.range(0, maxEvents - 1);
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
        long oldest = System.currentTimeMillis() - ttlMillis;
        List<AuditEvent> events = new ArrayList<>(stored.size());
        for (String s : stored) {
            AuditEvent e = AuditEvent.fromStored(s, user.username());
            if (e != null && e.time() >= oldest) {
                events.add(e);
            }
        }
        return events;
    }
}
