package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.FreePorts;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.TestCertificates;
import org.redsession.testsupport.TestClient;

/**
 * Redis over TLS: a {@code redis-server} that speaks TLS on its TLS port and asks for client certificates
 * ({@code tls-auth-clients yes}), with certificates this test makes. The application reaches it through
 * {@code rediss://} with the configured CA and client certificate; with the wrong CA, or without a client
 * certificate, readiness stays DOWN with a message naming the cause and requests get 503, never a 500.
 */
class RedisTlsIT {
    static TestCertificates certs;
    static RedisServer redis;
    static int tlsPort;

    @BeforeAll
    static void start() {
        certs = TestCertificates.in("redis-tls");
        certs.ca("ca");
        certs.ca("other-ca");
        certs.signed("ca", "redis", "DNS:localhost", "IP:127.0.0.1");
        certs.signed("ca", "client");
        tlsPort = FreePorts.next();
        Path dir = certs.dir();
        // The plain port (127.0.0.1 only) is the test's own way in; the application gets only the TLS port.
        redis = RedisServer.start("--tls-port", Integer.toString(tlsPort),
                "--tls-cert-file", dir.resolve("redis.pem").toString(), "--tls-key-file", dir.resolve("redis.key").toString(),
                "--tls-ca-cert-file", dir.resolve("ca.pem").toString(), "--tls-auth-clients", "yes");
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.stop();
        }
    }

    private static PayaraMicro.Builder app(String name) {
        return PayaraMicro.builder().name(name).env("REDIS_URL", "rediss://localhost:" + tlsPort)
                .env("SECURITY_PASSWORD_HASH_ITERATIONS", "10000");
    }

    @Test
    void theSessionFlow_runsOverTls_withTheConfiguredCaAndClientCertificate() {
        try (PayaraMicro app = app("tls").env("REDIS_TLS_TRUST_STORE", certs.dir().resolve("ca.pem").toString())
                .env("REDIS_TLS_KEY_STORE", certs.withKey("client").toString()).start()) {
            Poll.until(Duration.ofSeconds(30), "readiness UP over TLS",
                    () -> new TestClient(app.base()).get("health/ready").status() == 200);
            TestClient user = new TestClient(app.base());
            Ops.loginAdmin(user);
            assertEquals(1, Ops.increment(user));
            assertEquals(2, Ops.increment(user));
            long stored = Long.parseLong(String.valueOf(redis.call("DBSIZE")));
            assertTrue(stored > 0, "the session reached the Redis behind the TLS port");
            assertEquals(204, user.post("api/auth/logout").status());
            Ops.assertError(user.get("api/me"), 401, "not_authenticated");
            assertTrue(app.logText().contains("Connecting to Redis (single) at rediss://localhost:" + tlsPort
                    + " over TLS with a client certificate"), () -> app.logTail(40));
        }
    }

    @Test
    void aWrongCa_keepsReadinessDown_namingTheCause_andRequestsGet503() {
        try (PayaraMicro app = app("tls-wrong-ca")
                .env("REDIS_TLS_TRUST_STORE", certs.dir().resolve("other-ca.pem").toString())
                .env("REDIS_TLS_KEY_STORE", certs.withKey("client").toString()).start()) {
            assertDownNaming(app, "redis.tls.trust-store");
        }
    }

    @Test
    void noClientCertificate_whenRedisAsksForOne_keepsReadinessDown() {
        // The CA as a PKCS#12 trust store this time, with its password from a *_FILE variable.
        Path passwordFile = certs.dir().resolve("store-password");
        try {
            java.nio.file.Files.writeString(passwordFile, "store-pass\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        try (PayaraMicro app = app("tls-no-client-cert")
                .env("REDIS_TLS_TRUST_STORE", certs.pkcs12TrustStore("ca", "store-pass").toString())
                .env("REDIS_TLS_TRUST_STORE_PASSWORD_FILE", passwordFile.toString()).start()) {
            assertDownNaming(app, "redis.tls.key-store");
        }
    }

    private static void assertDownNaming(PayaraMicro app, String property) {
        // Readiness is DOWN for as long as the handshake fails, and says why.
        TestClient probe = new TestClient(app.base());
        Poll.until(Duration.ofSeconds(30), "readiness names the TLS failure", () -> {
            TestClient.Res ready = probe.get("health/ready");
            return ready.status() == 503 && ready.body().contains("TLS handshake failed");
        });
        TestClient.Res ready = probe.get("health/ready");
        assertEquals(503, ready.status());
        assertTrue(ready.body().contains(property), ready.body());
        TestClient user = new TestClient(app.base());
        Ops.assertError(user.postJson("api/auth/login", "{\"username\":\"admin\",\"password\":\"whatever it is\"}"),
                503, "session_store_unavailable");
        assertTrue(app.logText().contains("TLS handshake failed"), () -> app.logTail(40));
    }
}
