package org.redsession.it.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;

import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.TestClient;

/** Shared pieces of the browser tests: the host the browser uses, the bootstrap admin, users made for a test. */
final class Ui {
    /**
     * The host name the browser uses: Chromium treats http://localhost as a secure context and accepts the
     * {@code Secure}, {@code __Host-} session cookie there over plain http (these tests rely on it; -Dui.host
     * changes it).
     */
    static final String HOST = System.getProperty("ui.host", "localhost");
    static final String ADMIN = System.getenv().getOrDefault("APP_BOOTSTRAP_ADMIN_USERNAME", "admin");
    static final String ADMIN_PASSWORD = System.getenv("APP_BOOTSTRAP_ADMIN_PASSWORD");
    static final String PASSWORD = "Quiet-Meadow-Lantern-73";

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private Ui() {
    }

    /** The instance's base URL as the browser should use it. */
    static URI browserBase(PayaraMicro instance) {
        return URI.create("http://" + HOST + ":" + instance.port() + "/");
    }

    /** A user name no other test uses (users live in the suite's shared Redis). */
    static String uniqueName(String prefix) {
        return prefix + "-" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36) + COUNTER.incrementAndGet();
    }

    /** Signs in over HTTP and makes the client send the CSRF token from then on. */
    static JsonObject login(TestClient client, String username, String password) {
        client.setHeader("X-CSRF-Token", null);
        TestClient.Res res = client.postJson("api/auth/login",
                Json.createObjectBuilder().add("username", username).add("password", password).build().toString());
        assertEquals(200, res.status(), () -> "login of " + username + ": " + res);
        JsonObject body = res.json();
        client.setHeader("X-CSRF-Token", body.getString("csrfToken"));
        return body;
    }

    /** A client signed in as the bootstrap administrator. */
    static TestClient admin(PayaraMicro instance) {
        TestClient client = new TestClient(instance.base());
        login(client, ADMIN, ADMIN_PASSWORD);
        return client;
    }

    /** Creates a user through the admin API (asserting 201) and returns its name. */
    static String createUser(TestClient admin, String username, String password, String... roles) {
        JsonArrayBuilder list = Json.createArrayBuilder();
        Arrays.stream(roles.length == 0 ? new String[] {"user"} : roles).forEach(list::add);
        TestClient.Res res = admin.postJson("api/admin/users", Json.createObjectBuilder().add("username", username)
                .add("password", password).add("roles", list).build().toString());
        assertEquals(201, res.status(), () -> "create user " + username + ": " + res);
        return username;
    }
}
