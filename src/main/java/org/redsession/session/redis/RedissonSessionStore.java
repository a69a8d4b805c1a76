package org.redsession.session.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redsession.config.RedisSettings;
import org.redsession.config.SessionSettings;
import org.redsession.session.SessionKey;
import org.redsession.session.SessionStore;
import org.redsession.session.SessionWrite;

/**
 * {@link SessionStore} on Redis: one hash per session and a tombstone per ended session (see {@link RedisKeys}).
 * Loading is one EVALSHA (fields, or the tombstone's reason); saving is one EVALSHA that refuses to write a
 * session that ended meanwhile, applies only the changed fields, does atomic increments and sets the TTL.
 */
@ApplicationScoped
public class RedissonSessionStore implements SessionStore {

    @Inject
    RedissonClient redisson;

    private RedisKeys keys;
    private long tombstoneTtlMillis;

    /** For CDI. */
    public RedissonSessionStore() {
    }

    /** For tests and use outside CDI. */
    RedissonSessionStore(RedissonClient redisson, String keyPrefix, long tombstoneTtlMillis) {
        this.redisson = redisson;
        this.keys = new RedisKeys(keyPrefix);
        this.tombstoneTtlMillis = tombstoneTtlMillis;
    }

    @Inject
    void init(RedisSettings redisSettings, SessionSettings sessionSettings) {
        keys = new RedisKeys(redisSettings.keyPrefix());
        tombstoneTtlMillis = sessionSettings.tombstoneTtl().toMillis();
    }

    @Override
    public Loaded load(SessionKey key) {
        List<Object> flat = Scripts.run(redisson, Scripts.LOAD, RScript.Mode.READ_ONLY, RScript.ReturnType.LIST,
                keys.sessionKeys(key));
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
    public Optional<Map<String, String>> save(SessionWrite w) {
        List<Object> scriptKeys = new ArrayList<>(keys.sessionKeys(w.key()));
        SessionKey retired = w.retiredKey() != null ? w.retiredKey() : w.key();
        scriptKeys.addAll(keys.sessionKeys(retired));
        String mode = w.create() ? "create" : w.retiredKey() != null ? "rotate" : "update";
        List<Object> args = new ArrayList<>();
        args.add(mode);
        args.add(Long.toString(w.ttlMillis()));
        args.add(Long.toString(tombstoneTtlMillis));
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
        List<Object> flat = Scripts.run(redisson, Scripts.SAVE, RScript.Mode.READ_WRITE, RScript.ReturnType.LIST,
                scriptKeys, args.toArray());
        if (flat.size() == 1 && "#gone".equals(flat.get(0))) {
            return Optional.empty();
        }
        return Optional.of(pairs(flat));
    }

    @Override
    public boolean delete(SessionKey key, String reason) {
        Long existed = Scripts.run(redisson, Scripts.DELETE, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                keys.sessionKeys(key), reason, Long.toString(tombstoneTtlMillis));
        return existed != null && existed > 0;
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
