package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;

import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.TestClient;

/**
 * Shared pieces of the operations tests (topologies, persistence, failover). {@code org.redsession.it.It} is
 * package-private, so the few helpers needed here are repeated.
 */
final class Ops {
    static final String COOKIE = "__Host-SID";
    static final String ADMIN = System.getenv().getOrDefault("APP_BOOTSTRAP_ADMIN_USERNAME", "admin");
    static final String ADMIN_PASSWORD = System.getenv("APP_BOOTSTRAP_ADMIN_PASSWORD");

    private Ops() {
    }

    /** The WAR Maven built, deployed at the context root "/". */
    static WebArchive war() {
        return ShrinkWrap.create(ZipImporter.class, "ROOT.war")
                .importFrom(new File(System.getProperty("app.war", "target/redsession.war"))).as(WebArchive.class);
    }

    /** A fresh folder for one test class under target/it. */
    static Path workDir(String name) {
        Path dir = Path.of(System.getProperty("it.workDir", "target/it")).toAbsolutePath()
                .resolve(name + "-" + System.nanoTime());
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    /** Signs in as the bootstrap admin with JSON, asserts 200 and makes the client send the CSRF token. */
    static JsonObject loginAdmin(TestClient client) {
        client.setHeader("X-CSRF-Token", null);
        TestClient.Res res = client.postJson("api/auth/login", Json.createObjectBuilder()
                .add("username", ADMIN).add("password", ADMIN_PASSWORD).build().toString());
        assertEquals(200, res.status(), () -> "login: " + res);
        JsonObject body = res.json();
        client.setHeader("X-CSRF-Token", body.getString("csrfToken"));
        return body;
    }

    /** POST /api/counter, asserting 200, and returns the new value. */
    static int increment(TestClient client) {
        TestClient.Res res = client.post("api/counter");
        assertEquals(200, res.status(), () -> "POST /api/counter: " + res);
        return res.json().getInt("counter");
    }

    static void assertError(TestClient.Res res, int status, String code) {
        assertEquals(status, res.status(), () -> "status of " + res);
        assertEquals(code, res.json().getString("error"), () -> "error code of " + res);
    }

    /** The body of a response as a JSON array (asserting 200). */
    static JsonArray array(TestClient.Res res) {
        assertEquals(200, res.status(), () -> "status of " + res);
        return Json.createReader(new StringReader(res.body())).readArray();
    }

    /** One section of INFO as field to value ("role" to "master", ...). */
    static Map<String, String> info(RedisServer redis, String section) {
        return parseInfo((String) redis.call("INFO", section));
    }

    static Map<String, String> parseInfo(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }
}
