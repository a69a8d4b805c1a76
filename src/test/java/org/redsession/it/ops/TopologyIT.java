package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.FreePorts;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.TestClient;

/**
 * The shipped {@code bin/topology}, started on free ports. HTTPS end to end: HAProxy ends TLS with the certificate
 * {@code bin/tls-cert} made, redirects plain HTTP to HTTPS and tells the instances the connection was HTTPS; the
 * instances send HSTS and the {@code __Host-} cookie; a client that trusts the generated CA signs in, counts across
 * both instances and signs out; one that does not trust it is refused by the TLS handshake. Monitoring: Prometheus and
 * the Redis exporter, started natively by the script, find both instances and Redis up, hold the product's and
 * Redis' series and load the alert rules of {@code monitoring/prometheus/alerts.yml}.
 */
class TopologyIT {
    static Process topology;
    static Path work;
    static Path output;
    static int httpPort;
    static int httpsPort;
    static int prometheusPort;
    static List<Integer> ports;

    @BeforeAll
    static void start() throws Exception {
        httpPort = FreePorts.next();
        httpsPort = FreePorts.next();
        int app1 = FreePorts.next();
        int app2 = FreePorts.next();
        int redisPort = FreePorts.next();
        prometheusPort = FreePorts.next();
        int exporterPort = FreePorts.next();
        ports = List.of(httpPort, httpsPort, app1, app2, redisPort, prometheusPort, exporterPort);
        work = Ops.workDir("topology");
        output = work.resolve("topology.out");
        ProcessBuilder pb = new ProcessBuilder("bash", "bin/topology", "--no-build", "--port", Integer.toString(httpPort),
                "--https-port", Integer.toString(httpsPort), "--app-ports", app1 + "," + app2,
                "--redis-port", Integer.toString(redisPort), "--prometheus-port", Integer.toString(prometheusPort),
                "--exporter-port", Integer.toString(exporterPort), "--work-dir", work.toString())
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

    @Test
    void prometheus_scrapesBothInstancesAndRedis_holdsTheirSeries_andLoadsTheAlertRules() throws Exception {
        assumeTrue(read(output).contains("prometheus http://localhost:" + prometheusPort),
                "Prometheus or prometheus-redis-exporter is not installed (apt-get install prometheus "
                        + "prometheus-redis-exporter): bin/topology left monitoring out");
        TestClient prometheus = new TestClient(URI.create("http://127.0.0.1:" + prometheusPort + "/api/v1/"));
        Poll.until(Duration.ofSeconds(90), "both instances and the Redis exporter are up in Prometheus' targets", () -> {
            Map<String, Long> up = new HashMap<>();
            for (JsonValue target : prometheus.get("targets").json().getJsonObject("data").getJsonArray("activeTargets")) {
                JsonObject t = target.asJsonObject();
                if ("up".equals(t.getString("health"))) {
                    up.merge(t.getJsonObject("labels").getString("job"), 1L, Long::sum);
                }
            }
            return up.equals(Map.of("redsession", 2L, "redis", 1L));
        });

        // A sign-in through HAProxy moves the product's counters.
        TestClient user = new TestClient(URI.create("https://localhost:" + httpsPort + "/"), trusting(work.resolve("tls/ca.pem")));
        TestClient.Res login = user.postJson("api/auth/login", "{\"username\":\"admin\",\"password\":\""
                + Ops.ADMIN_PASSWORD + "\"}");
        assertEquals(200, login.status(), login::toString);

        Poll.until(Duration.ofSeconds(60), "the product's and Redis' series in Prometheus", () ->
                sum(prometheus, "logins_succeeded_total") >= 1
                        && count(prometheus, "session_store_up == 1") == 2
                        && count(prometheus, "sessions_active") == 2
                        && count(prometheus, "http_responses_total{status=\"200\"}") == 2
                        && count(prometheus, "session_redis_load{quantile=\"0.99\"}") == 2
                        && sum(prometheus, "redis_up") == 1
                        && count(prometheus, "redis_memory_max_bytes") == 1
                        && count(prometheus, "redis_evicted_keys_total") == 1
                        && count(prometheus, "redis_aof_last_write_status == 1") == 1);
        assertTrue(sum(prometheus, "redis_db_keys") >= 1, "Redis holds the session and the user");

        JsonArray groups = prometheus.get("rules").json().getJsonObject("data").getJsonArray("groups");
        List<String> alerts = groups.stream().flatMap(g -> g.asJsonObject().getJsonArray("rules").stream())
                .map(JsonValue::asJsonObject).filter(r -> "alerting".equals(r.getString("type")))
                .map(r -> r.getString("name")).toList();
        for (String expected : List.of("RedisDown", "SessionStoreNotReady", "RedisEvictions", "RedisMemoryNearLimit",
                "RedisPersistenceFailing", "ServiceUnavailableResponses", "SignInFailureSpike", "SessionCreationLimitHit")) {
            assertTrue(alerts.contains(expected), expected + " is loaded: " + alerts);
        }
        List<String> broken = groups.stream().flatMap(g -> g.asJsonObject().getJsonArray("rules").stream())
                .map(JsonValue::asJsonObject).filter(r -> "err".equals(r.getString("health", "")))
                .map(r -> r.getString("name") + ": " + r.getString("lastError", "")).toList();
        assertEquals(List.of(), broken, "every rule evaluates without error");
        // Every metric the alert rules and the Grafana dashboard use is one Prometheus holds: no typo, no renamed metric.
        Set<String> known = prometheus.get("label/__name__/values").json().getJsonArray("data").stream()
                .map(v -> ((jakarta.json.JsonString) v).getString()).collect(java.util.stream.Collectors.toSet());
        Set<String> used = new java.util.TreeSet<>();
        used.addAll(metricNames(Files.readString(Path.of("monitoring/prometheus/alerts.yml"))));
        used.addAll(metricNames(Files.readString(Path.of("monitoring/grafana/dashboards/redsession.json"))));
        used.remove("redis_master_link_up"); // exported by replicas only; this topology has none
        used.removeAll(known);
        assertEquals(Set.of(), used, "metrics used by alerts.yml or the dashboard that Prometheus does not have");
        List<String> critical = prometheus.get("alerts").json().getJsonObject("data").getJsonArray("alerts").stream()
                .map(JsonValue::asJsonObject)
                .filter(a -> "critical".equals(a.getJsonObject("labels").getString("severity", "")))
                .map(a -> a.getJsonObject("labels").getString("alertname") + " " + a.getString("state")).toList();
        assertEquals(List.of(), critical, "a healthy topology has no critical alert pending or firing");
    }

    /** Metric names in PromQL expressions: words of the product's, the JVM's and the exporter's metric families. */
    private static Set<String> metricNames(String text) {
        Set<String> out = new HashSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(?<![A-Za-z0-9_\\-\\.\\$])((?:redis|session|sessions|logins|http_responses|password_hash|memory|gc|thread|cpu)_[A-Za-z0-9_]+)")
                .matcher(text.replaceAll("\"(?:title|description|summary|legendFormat)\":\\s*\"[^\"]*\"", "")
                        .replaceAll("(?m)^\\s*(summary|description|runbook|#).*$", ""));
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The number of series an instant query returns. */
    private static int count(TestClient prometheus, String query) {
        return result(prometheus, query).size();
    }

    /** The sum of the values of the series an instant query returns. */
    private static double sum(TestClient prometheus, String query) {
        return result(prometheus, query).stream()
                .mapToDouble(v -> Double.parseDouble(v.asJsonObject().getJsonArray("value").getString(1))).sum();
    }

    private static JsonArray result(TestClient prometheus, String query) {
        TestClient.Res res = prometheus.get("query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
        assertEquals(200, res.status(), res::toString);
        return res.json().getJsonObject("data").getJsonArray("result");
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
