package org.redsession.jmh;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import org.redsession.session.AttributeCodec;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionKey;

/**
 * The per-request work of the session layer that needs no Redis: verifying the cookie's HMAC, deriving the store key,
 * signing a new cookie, making ids and tokens, and the attribute format. Run with
 * {@code ./mvnw -B -Pjmh test-compile exec:exec@jmh} (README, "Performance"); results in docs/performance.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmark {
    private SessionIds ids;
    private SessionIds rotatedIds;
    private AttributeCodec codec;
    private String id;
    private String cookie;
    private String forged;
    private String oldKeyCookie;
    private final String text = "a typical attribute value, e.g. a display name";
    private final Long counter = 123_456L;
    private String encodedText;
    private String encodedLong;
    private String encodedInteger;

    @Setup
    public void setUp() {
        byte[] current = "jmh-signing-key-0123456789abcdef0123456789".getBytes(StandardCharsets.UTF_8);
        byte[] previous = "jmh-previous-key-0123456789abcdef012345678".getBytes(StandardCharsets.UTF_8);
        ids = new SessionIds(List.of(current));
        rotatedIds = new SessionIds(List.of(current, previous));
        codec = new AttributeCodec(Map.of());
        id = ids.newId();
        cookie = ids.sign(id);
        char last = cookie.charAt(cookie.length() - 1);
        forged = cookie.substring(0, cookie.length() - 1) + (last == 'A' ? 'B' : 'A');
        oldKeyCookie = new SessionIds(List.of(previous)).sign(id);
        encodedText = codec.encode(text);
        encodedLong = codec.encode(counter);
        encodedInteger = codec.encode(42);
    }

    /** A new session id: 3 random bytes of slot tag + 32 random bytes, base64url. */
    @Benchmark
    public String newId() {
        return ids.newId();
    }

    /** Cookie value of an id: HMAC-SHA-256 with the signing key. */
    @Benchmark
    public String sign() {
        return ids.sign(id);
    }

    /** Every request with a cookie: format check and HMAC verification (one key configured). */
    @Benchmark
    public Optional<String> verify() {
        return ids.verify(cookie);
    }

    /** A forged cookie of the right shape: same work, rejected. */
    @Benchmark
    public Optional<String> verifyForged() {
        return ids.verify(forged);
    }

    /** During key rotation (two keys configured), a cookie signed by the older key: both MACs are computed. */
    @Benchmark
    public Optional<String> verifyDuringRotation() {
        return rotatedIds.verify(oldKeyCookie);
    }

    /** The Redis key of a session: keyed hash of the id (every request that loads a session). */
    @Benchmark
    public SessionKey keyOf() {
        return ids.keyOf(id);
    }

    /** A CSRF token (at sign-in). */
    @Benchmark
    public String newToken() {
        return ids.newToken();
    }

    @Benchmark
    public String encodeString() {
        return codec.encode(text);
    }

    @Benchmark
    public String encodeLong() {
        return codec.encode(counter);
    }

    @Benchmark
    public Object decodeString() {
        return codec.decode(encodedText);
    }

    @Benchmark
    public Object decodeLong() {
        return codec.decode(encodedLong);
    }

    @Benchmark
    public Object decodeInteger() {
        return codec.decode(encodedInteger);
    }
}
