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
}
