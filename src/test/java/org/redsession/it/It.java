package org.redsession.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.util.Map;

import jakarta.json.JsonObject;

import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.redsession.testsupport.TestClient;

/** Shared pieces of the integration tests: the deployment, the bootstrap admin and signing in. */
public final class It {
    /** Name of the session cookie. */
    public static final String COOKIE = "__Host-SID";
    public static final String ADMIN = System.getenv().getOrDefault("APP_BOOTSTRAP_ADMIN_USERNAME", "admin");
    public static final String ADMIN_PASSWORD = System.getenv("APP_BOOTSTRAP_ADMIN_PASSWORD");

    private It() {
    }

    /** The WAR Maven built, deployed at the context root "/" (Payara Micro maps ROOT.war to "/"). */
    public static WebArchive war() {
        return ShrinkWrap.create(ZipImporter.class, "ROOT.war")
                .importFrom(new File(System.getProperty("app.war", "target/redsession.war"))).as(WebArchive.class);
    }

    /**
     * The base URI of an Arquillian deployment on the loopback address: Payara Micro reports the machine's
     * external address, and the tests talk to loopback only.
     */
    public static java.net.URI local(java.net.URL base) {
        return java.net.URI.create("http://127.0.0.1:" + base.getPort() + base.getPath());
    }

    /** Signs in with JSON, asserts 200 and makes the client send the CSRF token from then on. */
    public static JsonObject login(TestClient client, String username, String password) {
        client.setHeader("X-CSRF-Token", null);
        TestClient.Res res = client.postJson("api/auth/login",
                jakarta.json.Json.createObjectBuilder().add("username", username).add("password", password).build().toString());
        assertEquals(200, res.status(), () -> "login: " + res);
        JsonObject body = res.json();
        client.setHeader("X-CSRF-Token", body.getString("csrfToken"));
        return body;
    }

    public static JsonObject loginAdmin(TestClient client) {
        return login(client, ADMIN, ADMIN_PASSWORD);
    }

    /** The raw session id in the client's cookie (the part before the signature). */
    public static String sessionId(TestClient client) {
        String value = client.cookies().get(COOKIE);
        return value == null ? null : value.substring(0, value.indexOf('.'));
    }

    /** The body of a response as a JSON array (asserting 200). */
    public static jakarta.json.JsonArray array(TestClient.Res res) {
        assertEquals(200, res.status(), () -> "status of " + res);
        return jakarta.json.Json.createReader(new java.io.StringReader(res.body())).readArray();
    }

    public static void assertError(TestClient.Res res, int status, String code) {
        assertEquals(status, res.status(), () -> "status of " + res);
        assertEquals(code, res.json().getString("error"), () -> "error code of " + res);
    }

    public static Map<String, String> cookieAttributes(String setCookie) {
        Map<String, String> attributes = new java.util.LinkedHashMap<>();
        String[] parts = setCookie.split(";");
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            int eq = p.indexOf('=');
            attributes.put((eq < 0 ? p : p.substring(0, eq)).toLowerCase(java.util.Locale.ROOT), eq < 0 ? "" : p.substring(eq + 1));
        }
        return attributes;
    }
}
