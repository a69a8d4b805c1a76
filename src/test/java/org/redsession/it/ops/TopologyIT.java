package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.FreePorts;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.TestClient;

/**
 * HTTPS end to end through the shipped {@code bin/topology}: HAProxy ends TLS with the certificate
 * {@code bin/tls-cert} made, redirects plain HTTP to HTTPS and tells the instances the connection was HTTPS; the
 * instances send HSTS and the {@code __Host-} cookie; a client that trusts the generated CA signs in, counts across
 * both instances and signs out; one that does not trust it is refused by the TLS handshake.
 */
class TopologyTlsIT {
    static Process topology;
    static Path work;
    static Path output;
    static int httpPort;
    static int httpsPort;
    static List<Integer> ports;

    @BeforeAll
    static void start() throws Exception {
        httpPort = FreePorts.next();
        httpsPort = FreePorts.next();
        int app1 = FreePorts.next();
        int app2 = FreePorts.next();
        int redisPort = FreePorts.next();
        ports = List.of(httpPort, httpsPort, app1, app2, redisPort);
        work = Ops.workDir("topology-tls");
        output = work.resolve("topology.out");
        ProcessBuilder pb = new ProcessBuilder("bash", "bin/topology", "--no-build", "--port", Integer.toString(httpPort),
                "--https-port", Integer.toString(httpsPort), "--app-ports", app1 + "," + app2,
                "--redis-port", Integer.toString(redisPort), "--work-dir", work.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("SECURITY_PASSWORD_HASH_ITERATIONS", "10000");
        topology = pb.start();
        Poll.until(Duration.ofSeconds(400), "bin/topology says Ready", () -> {
            String out = read(output);
            if (!topology.isAlive()) {
                throw new AssertionError("bin/topology exited with " + topology.exitValue() + ":\n" + out);
            }
            return out.contains("Ready: https://localhost:" + httpsPort + "/");
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (topology == null) {
            return;
        }
        topology.destroy(); // SIGTERM: bin/topology stops what it started
        boolean ended = topology.waitFor(90, TimeUnit.SECONDS);
        if (!ended) {
            topology.descendants().forEach(ProcessHandle::destroyForcibly);
            topology.destroyForcibly();
        }
        assertTrue(ended, "bin/topology stopped within 90 s of SIGTERM");
        for (int port : ports) {
            assertFalse(FreePorts.listening(port), "port " + port + " is free again");
        }
    }

    @Test
    void plainHttp_isRedirectedToHttps_withoutHsts() {
        TestClient plain = new TestClient(URI.create("http://localhost:" + httpPort + "/"));
        TestClient.Res res = plain.get("account?tab=sessions");
        assertEquals(301, res.status(), res::toString);
        assertEquals("https://localhost:" + httpsPort + "/account?tab=sessions", res.header("Location").orElseThrow());
        assertTrue(res.header("Strict-Transport-Security").isEmpty(), "no HSTS over plain HTTP");
        assertTrue(res.setCookies().isEmpty(), "no cookie over plain HTTP");
    }

    @Test
    void overHttps_aClientTrustingTheGeneratedCa_signsIn_counts_andSignsOut() throws Exception {
        TestClient user = new TestClient(URI.create("https://localhost:" + httpsPort + "/"), trusting(work.resolve("tls/ca.pem")));
        TestClient.Res ready = user.get("health/ready");
        assertEquals(200, ready.status(), ready::toString);
        String hsts = ready.header("Strict-Transport-Security").orElseThrow(() -> new AssertionError("no HSTS: " + ready));
        assertTrue(hsts.matches("max-age=(\\d+).*") && Long.parseLong(hsts.replaceAll("max-age=(\\d+).*", "$1")) >= 31_536_000,
                hsts);

        TestClient.Res login = user.postJson("api/auth/login", "{\"username\":\"admin\",\"password\":\""
                + Ops.ADMIN_PASSWORD + "\"}");
        assertEquals(200, login.status(), login::toString);
        String cookie = login.setCookies().stream().filter(c -> c.startsWith("__Host-SID=")).findFirst().orElseThrow();
        List<String> attributes = List.of(cookie.split(";\\s*"));
        assertTrue(attributes.contains("Secure") && attributes.contains("HttpOnly") && attributes.contains("Path=/")
                && attributes.contains("SameSite=Lax"), cookie);
        assertTrue(attributes.stream().noneMatch(a -> a.startsWith("Domain") || a.startsWith("Max-Age")), cookie);
        assertTrue(login.header("Strict-Transport-Security").isPresent());
        user.setHeader("X-CSRF-Token", login.json().getString("csrfToken"));

        Set<String> servedBy = new HashSet<>();
        for (int i = 1; i <= 6; i++) {
            TestClient.Res counted = user.post("api/counter");
            assertEquals(200, counted.status(), counted::toString);
            assertEquals(i, counted.json().getInt("counter"));
            counted.header("X-Served-By").ifPresent(servedBy::add);
        }
        assertEquals(Set.of("app1", "app2"), servedBy, "round robin over both instances, no stickiness");

        TestClient.Res logout = user.post("api/auth/logout");
        assertEquals(204, logout.status(), logout::toString);
        assertTrue(logout.setCookies().stream().anyMatch(c -> c.startsWith("__Host-SID=") && c.contains("Max-Age=0")),
                logout::toString);
        Ops.assertError(user.get("api/me"), 401, "not_authenticated");
    }

    @Test
    void aClientThatDoesNotTrustTheCa_isRefusedByTheHandshake() throws Exception {
        HttpClient strict = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(); // the JDK's CAs only
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://localhost:" + httpsPort + "/health/ready"))
                .timeout(Duration.ofSeconds(10)).build();
        assertThrows(SSLHandshakeException.class, () -> strict.send(request, HttpResponse.BodyHandlers.discarding()));
    }

    @Test
    void aForgedForwardedProto_overPlainHttp_neverReachesAnInstance() {
        // The instances believe X-Forwarded-Proto from HAProxy only; HAProxy overwrites it on HTTPS and redirects every
        // plain-HTTP request before it reaches an instance, so a client's own claim of HTTPS earns nothing.
        TestClient plain = new TestClient(URI.create("http://localhost:" + httpPort + "/"));
        plain.setHeader("X-Forwarded-Proto", "https");
        TestClient.Res res = plain.get("health/ready");
        assertEquals(301, res.status(), res::toString);
        assertTrue(res.header("Strict-Transport-Security").isEmpty());
    }

    private static SSLContext trusting(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

}
