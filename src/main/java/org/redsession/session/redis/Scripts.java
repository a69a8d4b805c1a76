package org.redsession.session.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;
import org.redsession.session.SessionStoreUnavailableException;

/**
 * The Lua scripts of this package (files beside this class), run through Redisson with EVALSHA (the script cache
 * reloads them after a Redis restart). Each call is one round trip; Redis errors become
 * {@link SessionStoreUnavailableException}.
 */
final class Scripts {
    static final String LOAD = read("load.lua");
    static final String SAVE = read("save.lua");
    static final String DELETE = read("delete.lua");
    static final String REVOKE = read("revoke.lua");
    static final String REVOKE_ALL = read("revoke-all.lua");
    static final String DELETE_MANY = read("delete-many.lua");
    static final String LIST = read("list.lua");
    static final String SUMMARIES = read("summaries.lua");
    static final String THROTTLE_CHECK = read("throttle-check.lua");
    static final String THROTTLE_FAIL = read("throttle-fail.lua");
    static final String CREATE_USER = read("create-user.lua");
    static final String DELETE_USER = read("delete-user.lua");
    static final String UPDATE_PASSWORD = read("update-password.lua");
    static final String EXPIRY_PUSH = read("expiry-push.lua");
    static final String EXPIRY_CLAIM = read("expiry-claim.lua");
    static final String EXPIRY_ACK = read("expiry-ack.lua");
    static final String EXPIRY_PROGRESS = read("expiry-progress.lua");
    static final String LEASE = read("lease.lua");
    static final String COUNT = read("count.lua");
    static final String AUDIT = read("audit.lua");

    private Scripts() {
    }

    private static String read(String name) {
        try (InputStream in = Scripts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing script " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static <R> R run(RedissonClient redisson, String script, RScript.Mode mode, RScript.ReturnType type,
            List<Object> keys, Object... args) {
        try {
            return redisson.getScript(StringCodec.INSTANCE).eval(mode, script, type, keys, args);
        } catch (RedisException e) {
            throw unavailable(e);
        }
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

    /**
     * What every Redis failure becomes: the store is unavailable (503 at the edge). The message (logged, and shown by
     * the readiness check) names no key, and names the cause when the configuration is the likely culprit: a TLS
     * handshake that failed (wrong CA, host name, client certificate, or TLS against a plain port) or refused
     * credentials.
     */
    static SessionStoreUnavailableException unavailable(RedisException e) {
        return new SessionStoreUnavailableException("Redis is unavailable: " + e.getClass().getSimpleName() + cause(e), e);
    }

    /** What a failed TLS handshake most likely means for the configuration, from the failure's class and message. */
    static String tlsHint(String failure) {
        if (failure.contains("certification path") || failure.contains("PKIX") || failure.contains("CertPath")) {
            return "Redis' certificate is not signed by a CA of redis.tls.trust-store";
        }
        if (failure.contains("subject alternative") || failure.contains("No name matching")) {
            return "Redis' certificate does not name the host of redis.url (or set redis.tls.verify-hostname=false)";
        }
        if (failure.contains("certificate_required") || failure.contains("bad_certificate")
                || failure.contains("unknown_ca")) {
            return "Redis refused the client certificate or got none: check redis.tls.key-store";
        }
        if (failure.contains("NotSslRecord") || failure.contains("Unsupported or unrecognized SSL message")) {
            return "that port does not speak TLS: use redis:// in redis.url, or Redis' tls-port";
        }
        return "check redis.tls.trust-store, redis.tls.key-store and redis.tls.verify-hostname";
    }

    private static String cause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.GeneralSecurityException
                    || t.getClass().getSimpleName().equals("NotSslRecordException")) {
                Throwable root = t;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                return ": the TLS handshake failed (" + root.getClass().getSimpleName() + ": " + root.getMessage()
                        + "): " + tlsHint(root.getClass().getSimpleName() + " " + root.getMessage());
            }
            if (message.startsWith("WRONGPASS") || message.contains("NOAUTH") || message.contains("NOPERM")) {
                // Only Redis' own words: Redisson appends the channel and the command's arguments.
                int channel = message.indexOf(". channel:");
                return ": Redis refused the credentials or a command ("
                        + (channel < 0 ? message : message.substring(0, channel)).lines().findFirst().orElse("")
                        + "); check redis.username, redis.password and the ACL";
            }
        }
        return "";
    }
}
