package org.redsession.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.SuiteRedis;
import org.redsession.testsupport.TestClient;

/**
 * Two Payara Micro instances on one Redis, no stickiness: instance A is Arquillian's, instance B is launched by the
 * test with the same environment (same Redis, same signing secrets).
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class MultiInstanceIT {

    @Deployment(testable = false)
    static WebArchive deployment() {
        return It.war();
    }

    static PayaraMicro instanceB;

    @ArquillianResource
    URL base;

    @BeforeAll
    static void startSecondInstance() {
        instanceB = PayaraMicro.builder().name("b").start();
    }

    @AfterAll
    static void stopSecondInstance() {
        if (instanceB != null) {
            instanceB.stop();
        }
    }

    @Test
    void signInOnA_theCookieWorksOnB() throws Exception {
        TestClient a = new TestClient(It.local(base));
        It.loginAdmin(a);
        TestClient b = a.withBase(instanceB.base());
        TestClient.Res me = b.get("api/me");
        assertEquals(200, me.status(), me::toString);
        assertEquals(It.ADMIN, me.json().getString("username"));
        assertEquals(1, b.post("api/counter").json().getInt("counter"));
        assertEquals(2, a.post("api/counter").json().getInt("counter"));
    }

    @Test
    void signOutOnB_AAnswersSessionExpired() throws Exception {
        TestClient a = new TestClient(It.local(base));
        It.loginAdmin(a);
        String cookie = a.cookies().get(It.COOKIE);
        TestClient b = a.withBase(instanceB.base());
        assertEquals(204, b.post("api/auth/logout").status());

        TestClient stale = new TestClient(It.local(base));
        stale.setCookie(It.COOKIE, cookie);
        TestClient.Res res = stale.get("api/me");
        It.assertError(res, 401, "session_expired");
        assertEquals(true, res.setCookies().stream().anyMatch(c -> c.startsWith(It.COOKIE + "=;")),
                () -> "the stale cookie is expired: " + res);
        TestClient staleAgain = new TestClient(It.local(base));
        staleAgain.setCookie(It.COOKIE, cookie);
        It.assertError(staleAgain.post("api/counter"), 401, "session_expired");
    }

    @Test
    void hundredConcurrentIncrements_spreadOverBothInstances_loseNothing() throws Exception {
        TestClient a = new TestClient(It.local(base));
        It.loginAdmin(a);
        TestClient b = a.withBase(instanceB.base());
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<TestClient.Res>> calls = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                TestClient target = i % 2 == 0 ? a : b;
                calls.add(pool.submit(() -> target.post("api/counter")));
            }
            Set<Long> seen = new TreeSet<>();
            for (Future<TestClient.Res> call : calls) {
                TestClient.Res res = call.get();
                assertEquals(200, res.status(), res::toString);
                seen.add(res.json().getJsonNumber("counter").longValue());
            }
            Set<Long> expected = LongStream.rangeClosed(1, 100).boxed().collect(Collectors.toCollection(TreeSet::new));
            assertEquals(expected, seen, "every increment returned a distinct value from 1 to 100");
        } finally {
            pool.shutdownNow();
        }
        String key = SuiteRedis.get().scanKeys("rs:s:*").stream()
                .filter(k -> !k.endsWith(":gone") && "100".equals(SuiteRedis.get().call("HGET", k, "a:counter")))
                .findFirst().orElse(null);
        assertEquals(true, key != null, "Redis holds counter 100 for the session");
        assertEquals(101, a.post("api/counter").json().getInt("counter"));
    }

    private static long event(TestClient.Res res, String name) {
        var events = res.json().getJsonObject("events");
        return events.containsKey(name) ? events.getJsonNumber(name).longValue() : 0;
    }

    @Test
    void theServletSessionApi_acrossInstances_withListenerEventsWhereTheyHappen() throws Exception {
        TestClient a = new TestClient(It.local(base));
        TestClient b = a.withBase(instanceB.base());
        TestClient.Res none = a.get("api/demo/session");
        assertEquals(false, none.json().getBoolean("exists"), none::toString);
        long createdOnB = event(b.get("api/demo/session"), "sessionCreated");

        // getSession(true) + setAttribute on A: a new session, stored, with a cookie.
        TestClient.Res set = a.send("PUT", "api/demo/session/attributes/colour", "text/plain", "blue".getBytes());
        assertEquals(200, set.status(), set::toString);
        assertEquals(true, set.json().getBoolean("isNew"));
        assertEquals(1, set.setCookies().size(), set::toString);
        long createdOnA = event(set, "sessionCreated");
        assertEquals(true, createdOnA >= 1 && event(set, "attributeAdded") >= 1, set::toString);

        // B sees it, not new; replacing fires attributeReplaced on B only.
        TestClient.Res onB = b.get("api/demo/session");
        assertEquals(false, onB.json().getBoolean("isNew"), onB::toString);
        assertEquals("blue", onB.json().getJsonObject("attributes").getString("colour"));
        assertEquals(createdOnB, event(onB, "sessionCreated"), "B created no session");
        long replacedOnA = event(a.get("api/demo/session"), "attributeReplaced");
        TestClient.Res replaced = b.send("PUT", "api/demo/session/attributes/colour", "text/plain", "green".getBytes());
        assertEquals(true, event(replaced, "attributeReplaced") >= 1, replaced::toString);
        assertEquals(replacedOnA, event(a.get("api/demo/session"), "attributeReplaced"), "events fire where they happen");
        assertEquals("green", a.get("api/demo/session").json().getJsonObject("attributes").getString("colour"));

        // changeSessionId on B: a new cookie, the same data; the old id no longer works.
        String before = a.cookies().get(It.COOKIE);
        TestClient.Res rotated = b.post("api/demo/session/rotate");
        assertEquals(200, rotated.status(), rotated::toString);
        assertEquals(true, event(rotated, "sessionIdChanged") >= 1, rotated::toString);
        String after = a.cookies().get(It.COOKIE);
        assertEquals(false, before.equals(after), "the id changed");
        assertEquals("green", a.get("api/demo/session").json().getJsonObject("attributes").getString("colour"));
        TestClient old = new TestClient(It.local(base));
        old.setCookie(It.COOKIE, before);
        assertEquals(false, old.get("api/demo/session").json().getBoolean("exists"), "the old id is dead");

        // removeAttribute, then invalidate on A: gone on B too.
        TestClient.Res removed = a.delete("api/demo/session/attributes/colour");
        assertEquals(true, event(removed, "attributeRemoved") >= 1, removed::toString);
        a.send("PUT", "api/demo/session/attributes/size", "text/plain", "L".getBytes());
        TestClient.Res invalidated = a.post("api/demo/session/invalidate");
        assertEquals(true, event(invalidated, "sessionDestroyed") >= 1, invalidated::toString);
        assertEquals(false, invalidated.json().getBoolean("exists"));
        TestClient stale = new TestClient(instanceB.base());
        stale.setCookie(It.COOKIE, after);
        assertEquals(false, stale.get("api/demo/session").json().getBoolean("exists"), "invalidated everywhere");
    }

    @Test
    void aSessionThatNeverGetsAnAttribute_isNeverStored() throws Exception {
        TestClient a = new TestClient(It.local(base));
        java.util.Set<String> before = new java.util.HashSet<>(SuiteRedis.get().scanKeys("rs:s:*"));
        TestClient.Res created = a.get("api/demo/session?create=true");
        assertEquals(true, created.json().getBoolean("exists"), created::toString);
        assertEquals(true, created.json().getBoolean("isNew"), created::toString);
        assertEquals(0, created.setCookies().size(), () -> "no cookie for a session that holds nothing: " + created);
        assertEquals(409, a.post("api/demo/session/rotate").status());
        java.util.Set<String> added = new java.util.HashSet<>(SuiteRedis.get().scanKeys("rs:s:*"));
        added.removeAll(before);
        assertEquals(java.util.Set.of(), added, "nothing stored");
    }
}
