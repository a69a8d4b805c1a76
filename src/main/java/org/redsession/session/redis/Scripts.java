package org.redsession.session.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;
import org.redsession.session.SessionStoreUnavailableException;

/**
 * The Lua scripts of this package (files beside this class). Each call is one round trip: EVALSHA (EVALSHA_RO for
 * read-only scripts) with the SHA-1 computed once here, so the hot path neither hashes nor copies the script's
 * arguments (Redisson's own script cache does both on every call). When Redis does not know the script (it
 * restarted, or a replica was promoted) it is loaded (on every primary) and the call repeated once. Redis errors
 * become {@link SessionStoreUnavailableException}.
 */
final class Scripts {
    static final Script PING = read("ping.lua");
    static final Script LOAD = read("load.lua");
    static final Script SAVE = read("save.lua");
    static final Script DELETE = read("delete.lua");
    static final Script REVOKE = read("revoke.lua");
    static final Script REVOKE_ALL = read("revoke-all.lua");
    static final Script DELETE_MANY = read("delete-many.lua");
    static final Script LIST = read("list.lua");
    static final Script SUMMARIES = read("summaries.lua");
    static final Script THROTTLE_CHECK = read("throttle-check.lua");
    static final Script THROTTLE_FAIL = read("throttle-fail.lua");
    static final Script CREATE_USER = read("create-user.lua");
    static final Script DELETE_USER = read("delete-user.lua");
    static final Script UPDATE_PASSWORD = read("update-password.lua");

    /** A script's text and the SHA-1 Redis knows it by. */
    record Script(String name, String text, String sha) {
    }

    private Scripts() {
    }

    private static Script read(String name) {
        try (InputStream in = Scripts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing script " + name);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            byte[] sha = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return new Script(name, text, HexFormat.of().formatHex(sha));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by the Java platform", e);
        }
    }

    static <R> R run(RedissonClient redisson, Script script, RScript.Mode mode, RScript.ReturnType type,
            List<Object> keys, Object... args) {
        RScript scripts = redisson.getScript(StringCodec.INSTANCE);
        try {
            try {
                return scripts.evalSha(mode, script.sha(), type, keys, args);
            } catch (RedisException e) {
                if (!isNoScript(e)) {
                    throw e;
                }
                scripts.scriptLoad(script.text());
                return scripts.evalSha(mode, script.sha(), type, keys, args);
            }
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    /** Redis' answer to EVALSHA of a script it has not loaded (after a restart or a failover). */
    private static boolean isNoScript(RedisException e) {
        return e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT");
    }

    /** A number in a script's reply (an integer reply, or its text); 0 when absent or not a number. */
    static long number(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(String.valueOf(o));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** What every Redis failure becomes: the store is unavailable (503 at the edge); the message names no key. */
    static SessionStoreUnavailableException unavailable(RedisException e) {
        return new SessionStoreUnavailableException("Redis is unavailable: " + e.getClass().getSimpleName(), e);
    }
}
