package org.redsession.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.forAll;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.flushCookieJar;
import static io.gatling.javaapi.http.HttpDsl.headerRegex;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

/**
 * Load test for any deployment: each virtual user signs in as its own account, reads its session, changes session
 * data ({@code POST /api/counter} with the CSRF header), lists its sessions and signs out, again and again for the
 * test's duration. Accounts are created first through the admin API. Run with
 * {@code ./mvnw -B -Pload test-compile gatling:test -DbaseUrl=http://127.0.0.1:8080 -DadminPassword=...}; the
 * README's "Performance" section lists every property.
 *
 * <p>The session cookie is {@code __Host-SID} with {@code Secure}, which a cookie jar does not send over plain http.
 * So the value is captured from {@code Set-Cookie} with a check and sent as a {@code Cookie} header, and the jar is
 * flushed after sign-in (against https the jar would otherwise send it a second time).
 */
public class SessionLoadSimulation extends Simulation {

    private static String prop(String name, String fallback) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    static final String BASE_URL = prop("baseUrl", "http://127.0.0.1:8080").replaceAll("/+$", "");
    static final int USERS = Integer.parseInt(prop("users", "50"));
    static final int RAMP_SECONDS = Integer.parseInt(prop("ramp", "10"));
    static final int DURATION_SECONDS = Integer.parseInt(prop("duration", "60"));
    static final int COUNTER_REPEATS = Integer.parseInt(prop("counterRepeats", "3"));
    static final int PAUSE_MS = Integer.parseInt(prop("pauseMs", "100"));
    static final double MAX_ERROR_PERCENT = Double.parseDouble(prop("maxErrorPercent", "1"));
    static final String ADMIN_USER = prop("adminUser", env("APP_BOOTSTRAP_ADMIN_USERNAME", "admin"));
    static final String ADMIN_PASSWORD = prop("adminPassword", env("APP_BOOTSTRAP_ADMIN_PASSWORD", ""));
    static final String USER_PREFIX = prop("userPrefix", "load-user-");
    static final String USER_PASSWORD = prop("userPassword", "Gatling-Pw-7f3k-Q9");
    static final String COOKIE = prop("cookieName", "__Host-SID");

    private final HttpProtocolBuilder protocol = http.baseUrl(BASE_URL)
            .acceptHeader("application/json")
            .userAgentHeader("redsession-gatling");

    /** Virtual user n is account USER_PREFIX + (n mod USERS). */
    private final Iterator<Map<String, Object>> accounts = new Iterator<>() {
        private final AtomicLong next = new AtomicLong();

        @Override
        public boolean hasNext() {
            return true;
        }

        @Override
        public Map<String, Object> next() {
            return Map.of("username", USER_PREFIX + (next.getAndIncrement() % USERS));
        }
    };

    private final ChainBuilder signIn = exec(http("sign in").post("/api/auth/login")
            .header("Content-Type", "application/json")
            .body(StringBody("{\"username\":\"#{username}\",\"password\":\"" + USER_PASSWORD + "\"}"))
            .check(status().is(200), jsonPath("$.csrfToken").saveAs("csrf"),
                    headerRegex("Set-Cookie", COOKIE + "=([^;]+)").saveAs("sid")))
            .exitHereIfFailed()
            .exec(flushCookieJar());

    private final ChainBuilder readSession = exec(http("read session").get("/api/session")
            .header("Cookie", COOKIE + "=#{sid}")
            .check(status().is(200), jsonPath("$.username").isEL("#{username}")));

    private final ChainBuilder counter = exec(http("counter").post("/api/counter")
            .header("Cookie", COOKIE + "=#{sid}").header("X-CSRF-Token", "#{csrf}")
            .check(status().is(200), jsonPath("$.counter").ofLong().gt(0L)));

    private final ChainBuilder mySessions = exec(http("my sessions").get("/api/me/sessions")
            .header("Cookie", COOKIE + "=#{sid}")
            .check(status().is(200), jsonPath("$[?(@.current == true)].id").exists()));

    private final ChainBuilder signOut = exec(http("sign out").post("/api/auth/logout")
            .header("Cookie", COOKIE + "=#{sid}").header("X-CSRF-Token", "#{csrf}")
            .check(status().is(204)));

    private final ScenarioBuilder scenario = scenario("signed-in user")
            .feed(accounts)
            .during(Duration.ofSeconds(DURATION_SECONDS)).on(
                    exec(signIn).pause(Duration.ofMillis(PAUSE_MS))
                            .exec(readSession).pause(Duration.ofMillis(PAUSE_MS))
                            .repeat(COUNTER_REPEATS).on(exec(counter).pause(Duration.ofMillis(PAUSE_MS)))
                            .exec(mySessions).pause(Duration.ofMillis(PAUSE_MS))
                            .exec(signOut).pause(Duration.ofMillis(PAUSE_MS)));

    {
        setUp(scenario.injectOpen(rampUsers(USERS).during(Duration.ofSeconds(RAMP_SECONDS))))
                .protocols(protocol)
                .assertions(
                        global().failedRequests().percent().lte(MAX_ERROR_PERCENT),
                        forAll().failedRequests().percent().lte(MAX_ERROR_PERCENT),
                        global().successfulRequests().count().gt(0L));
    }

    /** Creates the accounts (409: already there) through the admin API before the load starts. */
    @Override
    public void before() {
        if (ADMIN_PASSWORD.isEmpty()) {
            throw new IllegalStateException("set -DadminPassword (or APP_BOOTSTRAP_ADMIN_PASSWORD) to create the test accounts");
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        try {
            HttpResponse<String> login = client.send(HttpRequest.newBuilder(URI.create(BASE_URL + "/api/auth/login"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"username\":" + quote(ADMIN_USER) + ",\"password\":"
                            + quote(ADMIN_PASSWORD) + "}")).build(), HttpResponse.BodyHandlers.ofString());
            if (login.statusCode() != 200) {
                throw new IllegalStateException("admin sign-in failed: HTTP " + login.statusCode() + " " + login.body());
            }
            String cookie = login.headers().allValues("Set-Cookie").stream().filter(h -> h.startsWith(COOKIE + "="))
                    .map(h -> h.split(";", 2)[0]).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + COOKIE + " cookie in the admin sign-in"));
            Matcher csrf = Pattern.compile("\"csrfToken\"\\s*:\\s*\"([^\"]+)\"").matcher(login.body());
            if (!csrf.find()) {
                throw new IllegalStateException("no csrfToken in the admin sign-in");
            }
            int created = 0;
            for (int i = 0; i < USERS; i++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(BASE_URL + "/api/admin/users"))
                        .header("Content-Type", "application/json").header("Cookie", cookie)
                        .header("X-CSRF-Token", csrf.group(1))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"username\":" + quote(USER_PREFIX + i) + ",\"password\":"
                                + quote(USER_PASSWORD) + ",\"roles\":[\"user\"]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 201) {
                    created++;
                } else if (r.statusCode() != 409) {
                    throw new IllegalStateException("creating " + USER_PREFIX + i + ": HTTP " + r.statusCode() + " " + r.body());
                }
            }
            System.out.printf("Accounts: %d (%d created) at %s; %d virtual users over %d s, then %d s each%n", USERS, created,
                    BASE_URL, USERS, RAMP_SECONDS, DURATION_SECONDS);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot reach " + BASE_URL, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
