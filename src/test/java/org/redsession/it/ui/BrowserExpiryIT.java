package org.redsession.it.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.TestClient;

/**
 * Graceful expiry in a real browser, on a Payara Micro with a 20 s idle timeout. The pages show the "Stay signed in"
 * warning min(60 s, idle / 2) before the idle deadline, so here 10 s after the last refresh. And the step-up: with
 * {@code security.reauth-max-age} of 5 s, "Sign out everywhere else" on an older sign-in asks for the password again.
 */
class BrowserExpiryIT {
    static final Duration IDLE = Duration.ofSeconds(20);
    static final Duration WARNING_LEAD = Duration.ofSeconds(10);
    /** security.reauth-max-age here: sensitive actions need a sign-in at most this old. */
    static final Duration REAUTH = Duration.ofSeconds(5);

    static PayaraMicro instance;
    Browser browser;

    @BeforeAll
    static void start() {
        instance = PayaraMicro.builder().name("ui-short-idle")
                .env("SESSION_IDLE_TIMEOUT", "PT" + IDLE.toSeconds() + "S")
                .env("SECURITY_REAUTH_MAX_AGE", "PT" + REAUTH.toSeconds() + "S")
                .start();
    }

    @AfterAll
    static void stop() {
        if (instance != null) {
            instance.stop();
        }
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void idleWarning_staySignedIn_thenExpiry_landsOnSignInWithTheReason_andReturnsToThePage() {
        String user = Ui.createUser(Ui.admin(instance), Ui.uniqueName("gina"), Ui.PASSWORD);
        // A second, idle session of the same user: by the end it has expired too, and a page request shows why.
        TestClient idle = new TestClient(instance.base());
        Ui.login(idle, user, Ui.PASSWORD);

        browser = new Browser(Ui.browserBase(instance));
        browser.go("/account?tab=devices");
        browser.signIn(user, Ui.PASSWORD);
        browser.waitForPage("/account");
        assertEquals("tab=devices", browser.url().getRawQuery(), "back on the page asked for, query included");
        browser.waitUntil("signed in", d -> user.equals(browser.text("s-username")));
        assertTrue(!browser.visible("expiry-warning"), "no warning right after signing in");

        // The warning appears WARNING_LEAD before the idle deadline, with a live countdown.
        browser.waitUntil(IDLE, "expiry warning", d -> browser.visible("expiry-warning"));
        assertEquals("Your session is about to expire", browser.text("expiry-title"));
        String first = browser.text("expiry-countdown");
        assertTrue(first.matches("0:(0\\d|10)"), () -> "countdown " + first);
        browser.waitUntil("the countdown runs", d -> !first.equals(browser.text("expiry-countdown")));
        assertTrue(seconds(browser.text("expiry-countdown")) < seconds(first));
        browser.screenshot("account-expiry-warning");

        // "Stay signed in" refreshes the session: the warning goes and the idle countdown starts over.
        browser.click("stay-signed-in");
        browser.waitUntil("warning gone", d -> !browser.visible("expiry-warning"));
        assertTrue(seconds(browser.text("s-idle-left")) > WARNING_LEAD.toSeconds(), browser.text("s-idle-left"));
        assertEquals("You are still signed in.", browser.text("page-status"));

        // Left alone: the warning comes back, then the session expires and the page goes to the sign-in page.
        browser.waitUntil(IDLE, "expiry warning again", d -> browser.visible("expiry-warning"));
        browser.waitUntil(IDLE, "sent to sign in", d -> "/login".equals(browser.path()));
        browser.waitForPage("/login");
        assertEquals("expired", browser.query().get("reason"));
        assertEquals("/account?tab=devices", browser.query().get("next"));
        assertEquals("Your session expired. Please sign in again.", browser.text("reason"));

        browser.signIn(user, Ui.PASSWORD);
        browser.waitForPage("/account");
        assertEquals("tab=devices", browser.url().getRawQuery());
        browser.waitUntil("signed in again", d -> user.equals(browser.text("s-username")));

        // A page request with the cookie of the expired idle session is redirected with the reason.
        TestClient.Res page = idle.send("GET", "admin", null, null, "Accept", "text/html");
        assertEquals(303, page.status(), page::toString);
        assertEquals("/login?reason=expired&next=%2Fadmin", page.header("Location").orElse(null));

        browser.assertNoConsoleErrors(Browser::apiUnauthorized);
    }

    @Test
    void signOutEverywhereElse_withAnOldSignIn_asksForThePasswordAgain_thenDoesIt() {
        String user = Ui.createUser(Ui.admin(instance), Ui.uniqueName("hugo"), Ui.PASSWORD);
        TestClient otherDevice = new TestClient(instance.base());
        Ui.login(otherDevice, user, Ui.PASSWORD);

        browser = new Browser(Ui.browserBase(instance));
        browser.go("/account");
        browser.signIn(user, Ui.PASSWORD);
        browser.waitForPage("/account");
        browser.waitUntil("signed in", d -> user.equals(browser.text("s-username")));
        long signedIn = System.nanoTime();
        // Wait for the sign-in to grow older than REAUTH (the idle warning comes only 10 s after the last refresh).
        browser.waitUntil(REAUTH.multipliedBy(3), "the sign-in is older than security.reauth-max-age",
                d -> System.nanoTime() - signedIn > REAUTH.plusSeconds(1).toNanos());
        browser.click("sign-out-others");
        browser.waitUntil("the password is asked for", d -> browser.visible("reauth-dialog"));

        browser.type("reauth-password", "not the password");
        browser.click("reauth-ok");
        browser.waitUntil("a wrong password is said", d -> "Wrong password. Try again.".equals(browser.text("reauth-status")));
        assertTrue(browser.visible("reauth-dialog"), "the dialog stays open");
        browser.type("reauth-password", Ui.PASSWORD);
        browser.click("reauth-ok");
        browser.waitUntil("the dialog closes", d -> !browser.visible("reauth-dialog"));
        browser.waitUntil("the action ran after the step-up",
                d -> "All your other devices were signed out.".equals(browser.text("sessions-status")));
        TestClient.Res other = otherDevice.get("api/me");
        assertEquals(401, other.status(), () -> "the other device is signed out: " + other);
        assertEquals(user, browser.text("s-username"), "this browser stays signed in");
        browser.assertNoConsoleErrors(Browser::apiUnauthorized);
    }

    private static int seconds(String clock) {
        String[] parts = clock.split(":");
        int total = 0;
        for (String part : parts) {
            total = total * 60 + Integer.parseInt(part);
        }
        return total;
    }
}
