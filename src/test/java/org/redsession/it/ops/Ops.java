package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;

import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.redsession.it.It;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.TestClient;

/**
 * Shared pieces of the operations tests (topologies, persistence, failover). {@code org.redsession.it.It} is
 * package-private, so the few helpers needed here are repeated.
 */
final class Ops {
    static final String COOKIE = It.COOKIE;
    static final String ADMIN = It.ADMIN;
    static final String ADMIN_PASSWORD = It.ADMIN_PASSWORD;

    private Ops() {
    }

    /** The WAR Maven built, deployed at the context root "/". */
    static WebArchive war() {
        return It.war();
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
        return It.loginAdmin(client);
    }

    /** POST /api/counter, asserting 200, and returns the new value. */
    static int increment(TestClient client) {
        TestClient.Res res = client.post("api/counter");
        assertEquals(200, res.status(), () -> "POST /api/counter: " + res);
        return res.json().getInt("counter");
    }

    static void assertError(TestClient.Res res, int status, String code) {
        It.assertError(res, status, code);
    }

    /** The body of a response as a JSON array (asserting 200). */
    static JsonArray array(TestClient.Res res) {
        return It.array(res);
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
