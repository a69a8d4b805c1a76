package org.redsession.session.redis;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redsession.config.RedisSettings;
import org.redsession.config.SecuritySettings;
import org.redsession.security.LoginAttempts;
import org.redsession.session.SessionManager;

/**
 * {@link LoginAttempts} on Redis: one counter per account and one per client address (each by a keyed hash, so any
 * text is a safe key and the key names neither), each with the window as TTL, under the {@code {throttle}} tag.
 */
@ApplicationScoped
public class RedisLoginAttempts implements LoginAttempts {

    @Inject
    RedissonClient redisson;
    @Inject
    SecuritySettings settings;
    @Inject
    SessionManager sessions;

    private RedisKeys keys;

    @Inject
    void init(RedisSettings redisSettings) {
        keys = new RedisKeys(redisSettings.keyPrefix());
    }

    @Override
    public Check check(String account, String client) {
        List<Object> found = Scripts.run(redisson, Scripts.THROTTLE_CHECK, RScript.Mode.READ_ONLY, RScript.ReturnType.LIST,
                keysOf(account, client), Integer.toString(settings.maxFailuresPerAccount()),
                Integer.toString(settings.maxFailuresPerClient()));
        return new Check(Math.max(0, Scripts.number(found.get(0))), Scripts.number(found.get(1)));
    }

    @Override
    public void failed(String account, String client) {
        Scripts.run(redisson, Scripts.THROTTLE_FAIL, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                keysOf(account, client), Long.toString(settings.throttleWindow().toMillis()));
    }

    @Override
    public void succeeded(String account) {
        try {
            redisson.getBucket(keys.accountFailures(hash(account))).delete();
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
    }

    private List<Object> keysOf(String account, String client) {
        return List.of(keys.accountFailures(hash(account)), keys.clientFailures(hash(client)));
    }

    /** Keyed (the session layer's store-key secret), so a Redis reader cannot test guesses of names or addresses. */
    private String hash(String text) {
        return sessions.opaque(String.valueOf(text));
    }
}
