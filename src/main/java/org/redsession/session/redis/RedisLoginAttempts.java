package org.redsession.session.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redsession.config.RedisSettings;
import org.redsession.config.SecuritySettings;
import org.redsession.security.LoginAttempts;
import org.redsession.session.SessionStoreUnavailableException;

/**
 * {@link LoginAttempts} on Redis: one counter per account (by a hash of the name, so any text is a safe key) and
 * one per client address, each with the window as TTL, under the {@code {throttle}} tag.
 */
@ApplicationScoped
public class RedisLoginAttempts implements LoginAttempts {

    @Inject
    RedissonClient redisson;
    @Inject
    SecuritySettings settings;

    private RedisKeys keys;

    @Inject
    void init(RedisSettings redisSettings) {
        keys = new RedisKeys(redisSettings.keyPrefix());
    }

    @Override
    public long blockedFor(String account, String client) {
        Long wait = Scripts.run(redisson, Scripts.THROTTLE_CHECK, RScript.Mode.READ_ONLY, RScript.ReturnType.LONG,
                keysOf(account, client), Integer.toString(settings.maxFailuresPerAccount()),
                Integer.toString(settings.maxFailuresPerClient()));
        return wait == null ? 0 : Math.max(0, wait);
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
            throw new SessionStoreUnavailableException("Redis is unavailable: " + e.getClass().getSimpleName(), e);
        }
    }

    private List<Object> keysOf(String account, String client) {
        return List.of(keys.accountFailures(hash(account)), keys.clientFailures(hash(client)));
    }

    private static String hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(String.valueOf(text).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(d).substring(0, 22);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
