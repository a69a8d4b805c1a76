package org.redsession.it.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.TestClient;

/**
 * The pages in a real browser (Debian's headless Chromium through Selenium) against two Payara Micro instances on
 * the suite's Redis: signing in, the account page, the same user on the second instance, revocation from another
 * browser, sign out everywhere else, password change, the admin page (users page by page, search by name prefix,
 * charts of the statistics history), console and CSP cleanliness; plus the page routing and security headers over
 * plain HTTP.
 */
class BrowserUiIT {
    static PayaraMicro a;
    static PayaraMicro b;

    private final List<Browser> browsers = new ArrayList<>();

    @BeforeAll
    static void start() {
        CompletableFuture<PayaraMicro> second = CompletableFuture.supplyAsync(
                () -> PayaraMicro.builder().name("ui-b").start());
        try {
            a = PayaraMicro.builder().name("ui-a").start();
        } finally {
            b = second.join();
        }
    }

    @AfterAll
    static void stop() {
        for (PayaraMicro instance : new PayaraMicro[] {a, b}) {
            if (instance != null) {
                instance.stop();
            }
        }
    }

    @AfterEach
    void closeBrowsers() {
        browsers.forEach(Browser::close);
        browsers.clear();
    }

    private Browser browser() {
        Browser browser = new Browser(Ui.browserBase(a));
        browsers.add(browser);
        return browser;
    }

    private static String newUser(String prefix) {
        return Ui.createUser(Ui.admin(a), Ui.uniqueName(prefix), Ui.PASSWORD);
    }

    private static List<WebElement> rows(Browser browser, String tbody) {
        return browser.driver.findElements(By.cssSelector("#" + tbody + " tr"));
    }

    /** The user names the admin page's list shows, in order. */
    private static List<String> listedUsers(Browser browser) {
        return rows(browser, "users-body").stream().map(r -> r.getDomAttribute("data-username")).toList();
    }

    /**
     * Searches the admin page's user list for names starting with {@code name} (submitted with Enter) and waits until
     * that user is listed: the list shows one page of users, so a user made by a test is found by searching.
     */
    private static void showUser(Browser browser, String name) {
        browser.type("users-prefix", name);
        browser.find("users-prefix").sendKeys(Keys.ENTER);
        browser.waitUntil(name + " is listed", d -> !d.findElements(
                By.cssSelector("#users-body tr[data-username='" + name + "']")).isEmpty());
    }

    /** Empties the admin page's search box as a user does (select all, delete), which lists all users again. */
    private static void clearUserSearch(Browser browser) {
        browser.find("users-prefix").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
    }

    private static long pageHeight(Browser browser) {
        return ((Number) ((JavascriptExecutor) browser.driver).executeScript(
                "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")).longValue();
    }

    @Test
    void signIn_showsTheAccountPage_andTheSecondInstanceShowsTheSameUser() {
        String user = newUser("ann");
        Browser browser = browser();

        browser.go("/account");
        browser.waitForPage("/login");
        assertEquals("/account", browser.query().get("next"));
        assertFalse(browser.query().containsKey("reason"));
        assertEquals("Please sign in to continue.", browser.text("reason"));

        browser.signIn(user, Ui.PASSWORD);
        browser.waitForPage("/account");
        browser.waitUntil("the account page names the user", d -> user.equals(browser.text("s-username")));
        assertEquals(user, browser.text("header-user"));
        assertFalse(browser.visible("nav-admin"), "a plain user sees no Admin link");
        assertTrue(browser.text("s-idle-left").matches("\\d+:\\d\\d"), () -> "idle countdown: " + browser.text("s-idle-left"));
        assertTrue(browser.text("s-absolute-left").matches("\\d+:\\d\\d(:\\d\\d)?"), () -> browser.text("s-absolute-left"));
        assertFalse(browser.text("s-created").isBlank());
        browser.waitUntil("this device is listed", d -> rows(browser, "sessions-body").size() == 1);
        assertEquals("true", rows(browser, "sessions-body").get(0).getDomAttribute("data-current"));
        assertTrue(rows(browser, "sessions-body").get(0).getText().contains("This device"));
        String created = browser.find("s-created").getDomAttribute("datetime");

        // Same browser, same cookie (cookies are per host, not per port): the page served by instance B.
        browser.goTo(Ui.browserBase(b).resolve("account"));
        browser.waitForPage("/account");
        assertEquals(b.port(), browser.url().getPort());
        browser.waitUntil("instance B shows the same user", d -> user.equals(browser.text("s-username")));
        assertEquals(created, browser.find("s-created").getDomAttribute("datetime"), "the same session");
        browser.waitUntil("still one session", d -> rows(browser, "sessions-body").size() == 1);

        browser.assertNoConsoleErrors();
    }

    @Test
    void revokedFromAnotherBrowser_signsThisOneOut_withTheReason_andSigningInReturnsToThePage() {
        String user = newUser("bob");
        Browser first = browser();
        first.go("/account");
        first.signIn(user, Ui.PASSWORD);
        first.waitForPage("/account");

        Browser second = browser();
        second.go("/account");
        second.signIn(user, Ui.PASSWORD);
        second.waitForPage("/account");
        second.waitUntil("both devices listed", d -> rows(second, "sessions-body").size() == 2);
        WebElement signOutOther = second.driver.findElement(
                By.cssSelector("#sessions-body tr[data-current='false'] button"));
        assertEquals("Sign out this device", signOutOther.getText());
        signOutOther.click();
        second.waitUntil("the other device is gone", d -> rows(second, "sessions-body").size() == 1);
        assertEquals("That device was signed out.", second.text("sessions-status"));
        // Recent activity: the revocation on top, then both sign-ins (same browser family and network: no new device).
        second.waitUntil("the revocation in recent activity", d -> rows(second, "activity-body").size() == 3
                && "revoked".equals(rows(second, "activity-body").get(0).getDomAttribute("data-event")));
        assertEquals(List.of("revoked", "signin", "signin"), rows(second, "activity-body").stream()
                .map(r -> r.getDomAttribute("data-event")).toList());
        assertTrue(rows(second, "activity-body").get(0).getText().contains("by you"),
                rows(second, "activity-body").get(0).getText());
        assertTrue(rows(second, "activity-body").get(1).getText().contains("this session"));
        assertTrue(second.driver.findElements(By.cssSelector("#activity-body .tag-new")).isEmpty());

        first.waitUntil(java.time.Duration.ofSeconds(30), "the revoked browser is sent to sign in",
                d -> "/login".equals(first.path()));
        first.waitForPage("/login");
        assertEquals("revoked", first.query().get("reason"));
        assertEquals("/account", first.query().get("next"));
        assertEquals("You were signed out from another device.", first.text("reason"));

        first.signIn(user, Ui.PASSWORD);
        first.waitForPage("/account");
        first.waitUntil("signed in again", d -> user.equals(first.text("s-username")));

        first.assertNoConsoleErrors(Browser::apiUnauthorized);
        second.assertNoConsoleErrors();
    }

    @Test
    void signOutEverywhereElse_passwordChange_andSignOut() {
        String user = newUser("cleo");
        String newPassword = "Silver-Orchard-Compass-58";
        TestClient phone = new TestClient(a.base());
        Ui.login(phone, user, Ui.PASSWORD);

        Browser browser = browser();
        browser.go("/account");
        browser.signIn(user, Ui.PASSWORD);
        browser.waitForPage("/account");
        browser.waitUntil("two devices", d -> rows(browser, "sessions-body").size() == 2);
        browser.click("sign-out-others");
        browser.waitUntil("only this device left", d -> rows(browser, "sessions-body").size() == 1);
        assertEquals("All your other devices were signed out.", browser.text("sessions-status"));
        assertError(phone.get("api/me"), 401, "session_expired");

        Ui.login(phone, user, Ui.PASSWORD);
        browser.type("current-password", "not-the-password");
        browser.type("new-password", newPassword);
        browser.type("confirm-password", newPassword);
        browser.click("password-submit");
        browser.waitUntil("wrong current password reported", d -> browser.visible("password-error"));
        assertEquals("The current password is wrong.", browser.text("password-error"));
        assertEquals("true", browser.find("current-password").getDomAttribute("aria-invalid"));

        browser.type("current-password", Ui.PASSWORD);
        browser.type("new-password", newPassword);
        browser.type("confirm-password", newPassword + "x");
        browser.click("password-submit");
        browser.waitUntil("mismatch reported", d -> browser.visible("password-error"));
        assertEquals("The two new passwords are not the same.", browser.text("password-error"));
        assertEquals("true", browser.find("confirm-password").getDomAttribute("aria-invalid"));

        browser.type("confirm-password", newPassword);
        browser.click("password-submit");
        browser.waitUntil("password changed", d -> browser.visible("password-ok"));
        assertEquals("Your password was changed. Your other devices were signed out.", browser.text("password-ok"));
        assertError(phone.get("api/me"), 401, "session_expired");

        browser.click("sign-out");
        browser.waitForPage("/login");
        assertEquals("signedout", browser.query().get("reason"));
        assertEquals("You signed out.", browser.text("reason"));
        browser.signIn(user, newPassword);
        browser.waitForPage("/account");
        browser.waitUntil("signed in with the new password", d -> user.equals(browser.text("s-username")));

        // Expected: the 403 answer to the wrong current password.
        browser.assertNoConsoleErrors(e -> e.getMessage().contains("/api/me/password - ") && e.getMessage().contains("403"));
    }

    @Test
    void adminCreatesAUser_whoThenSignsIn_andCannotOpenTheAdminPage() {
        Browser browser = browser();
        browser.go("/admin");
        browser.signIn(Ui.ADMIN, Ui.ADMIN_PASSWORD);
        browser.waitForPage("/admin");
        browser.waitUntil("live statistics", d -> browser.visible("stat-activeSessions"));
        assertTrue(browser.text("stat-activeSessions").matches("[\\d,.]+"), () -> browser.text("stat-activeSessions"));
        showUser(browser, Ui.ADMIN);
        assertTrue(browser.visible("nav-admin"));

        String user = Ui.uniqueName("dora");
        browser.type("new-username", user);
        browser.type("new-user-password", Ui.PASSWORD);
        assertTrue(browser.find("role-user").isSelected());
        browser.click("create-submit");
        browser.waitUntil("user created", d -> browser.visible("create-ok"));
        assertEquals("User " + user + " was created.", browser.text("create-ok"));
        browser.waitUntil("the new user is listed", d -> !browser.driver.findElements(
                By.cssSelector("#users-body tr[data-username='" + user + "']")).isEmpty());
        assertEquals(user, browser.find("users-prefix").getDomProperty("value"), "the list searches for the new user");

        browser.type("new-username", user);
        browser.type("new-user-password", Ui.PASSWORD);
        browser.click("create-submit");
        browser.waitUntil("duplicate reported", d -> browser.visible("create-error"));
        assertEquals("A user named " + user + " already exists.", browser.text("create-error"));

        browser.click("sign-out");
        browser.waitForPage("/login");
        browser.signIn(user, Ui.PASSWORD);
        browser.waitForPage("/account");
        browser.waitUntil("the new user is signed in", d -> user.equals(browser.text("s-username")));
        assertFalse(browser.visible("nav-admin"));

        browser.go("/admin");
        browser.waitUntil("forbidden page", d -> browser.visible("forbidden-title"));
        assertEquals("/admin", browser.path());
        assertEquals("You can’t open this page", browser.text("forbidden-title"));

        // Expected: the 409 of the duplicate and (if Chromium logs it) the 403 of the forbidden page.
        browser.assertNoConsoleErrors(e -> e.getMessage().contains("/api/admin/users - ") && e.getMessage().contains("409")
                || e.getMessage().contains("/admin - ") && e.getMessage().contains("403"));
    }

    @Test
    void adminRevokesAUsersSessions_andDeletesTheUser() {
        TestClient admin = Ui.admin(a);
        String user = Ui.createUser(admin, Ui.uniqueName("emil"), Ui.PASSWORD);
        TestClient device = new TestClient(a.base());
        Ui.login(device, user, Ui.PASSWORD);

        Browser browser = browser();
        browser.go("/admin");
        browser.signIn(Ui.ADMIN, Ui.ADMIN_PASSWORD);
        browser.waitForPage("/admin");
        String row = "#users-body tr[data-username='" + user + "']";
        showUser(browser, user);

        browser.clickCss(row + " button[aria-label='Sessions of " + user + "']");
        browser.waitUntil("the user's session is listed", d -> browser.visible("user-sessions")
                && rows(browser, "user-sessions-body").size() == 1);
        assertEquals(user, browser.text("user-sessions-name"));
        browser.click("revoke-user-sessions");
        browser.waitUntil("sessions revoked", d -> rows(browser, "user-sessions-body").isEmpty());
        assertEquals("All sessions of " + user + " were signed out.", browser.text("user-sessions-status"));
        assertError(device.get("api/me"), 401, "session_expired");
        browser.waitUntil("the admin's action in the user's recent activity", d -> !rows(browser, "user-activity-body")
                .isEmpty() && "sessions_revoked".equals(rows(browser, "user-activity-body").get(0).getDomAttribute("data-event")));
        assertTrue(rows(browser, "user-activity-body").get(0).getText().contains("by " + Ui.ADMIN),
                rows(browser, "user-activity-body").get(0).getText());
        assertEquals("signin", rows(browser, "user-activity-body").get(1).getDomAttribute("data-event"));

        browser.clickCss(row + " button[aria-label='Delete " + user + "']");
        browser.waitUntil("confirmation dialog", d -> browser.visible("confirm-dialog"));
        assertEquals("Delete " + user + "?", browser.text("confirm-title"));
        browser.click("confirm-ok");
        browser.waitUntil("the user is gone", d -> d.findElements(By.cssSelector(row)).isEmpty());
        assertEquals("User " + user + " was deleted.", browser.text("users-status"));
        assertFalse(browser.visible("user-sessions"));

        TestClient.Res login = new TestClient(a.base()).postJson("api/auth/login", Json.createObjectBuilder()
                .add("username", user).add("password", Ui.PASSWORD).build().toString());
        assertError(login, 401, "invalid_credentials");

        browser.assertNoConsoleErrors();
    }

    @Test
    void adminPagesThroughUsers_searchesByNamePrefix_andThePageStaysShort() {
        TestClient admin = Ui.admin(a);
        // A prefix no other user has (the trailing '-' keeps "page-x1-" from matching "page-x12-...").
        String prefix = Ui.uniqueName("page") + "-";
        List<String> made = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            made.add(Ui.createUser(admin, prefix + String.format("%02d", i), Ui.PASSWORD));
        }
        String matching = " whose name starts with “" + prefix + "”";

        Browser browser = browser();
        browser.go("/admin");
        browser.signIn(Ui.ADMIN, Ui.ADMIN_PASSWORD);
        browser.waitForPage("/admin");
        browser.waitUntil("the first page of all users", d -> browser.text("users-range").startsWith("Users 1–25 of "));
        assertEquals(25, rows(browser, "users-body").size(), "one page of 25 users");
        String range = browser.text("users-range");
        long total = Long.parseLong(range.substring("Users 1–25 of ".length()).replaceAll("\\D", ""));
        assertTrue(total >= made.size() + 1, () -> "the total counts every user: " + range);
        assertFalse(browser.find("users-previous").isEnabled(), "no page before the first");
        assertTrue(browser.find("users-next").isEnabled());
        assertTrue(pageHeight(browser) < 3000, () -> "page height with " + total + " users: " + pageHeight(browser));

        // Typing searches (after a pause): the users made here, 25 on the first page, in name order.
        browser.find("users-prefix").sendKeys(prefix);
        browser.waitUntil("the search's first page", d -> browser.text("users-range").equals("Users 1–25" + matching));
        assertEquals(made.subList(0, 25), listedUsers(browser));
        assertFalse(browser.find("users-previous").isEnabled());
        assertTrue(browser.find("users-next").isEnabled());

        browser.click("users-next");
        browser.waitUntil("the search's second page",
                d -> browser.text("users-range").equals("Users 26–30 of 30" + matching));
        assertEquals(made.subList(25, 30), listedUsers(browser));
        assertFalse(browser.find("users-next").isEnabled(), "no page after the last");
        assertTrue(browser.find("users-previous").isEnabled());
        assertEquals("users-previous", browser.driver.switchTo().activeElement().getDomAttribute("id"),
                "focus leaves the disabled Next for Previous");

        // Keyboard: Enter on the focused Previous goes back; focus then moves to Next.
        browser.driver.switchTo().activeElement().sendKeys(Keys.ENTER);
        browser.waitUntil("back on the first page", d -> browser.text("users-range").equals("Users 1–25" + matching));
        assertEquals(made.subList(0, 25), listedUsers(browser));
        assertFalse(browser.find("users-previous").isEnabled());
        assertEquals("users-next", browser.driver.switchTo().activeElement().getDomAttribute("id"));

        // A longer prefix narrows the list; Enter searches at once, from the first page.
        browser.click("users-next");
        browser.waitUntil("the second page again", d -> browser.text("users-range").startsWith("Users 26–30"));
        browser.type("users-prefix", prefix + "1");
        browser.find("users-prefix").sendKeys(Keys.ENTER);
        browser.waitUntil("the narrower search",
                d -> browser.text("users-range").equals("Users 1–10 of 10 whose name starts with “" + prefix + "1”"));
        assertEquals(made.subList(9, 19), listedUsers(browser));
        assertFalse(browser.find("users-previous").isEnabled());
        assertFalse(browser.find("users-next").isEnabled());

        browser.type("users-prefix", prefix + "9");
        browser.find("users-prefix").sendKeys(Keys.ENTER);
        browser.waitUntil("no match", d -> browser.text("users-range").equals(
                "No users whose name starts with “" + prefix + "9”."));
        assertTrue(rows(browser, "users-body").isEmpty());

        // What cannot be part of a user name is refused in the page, not sent.
        browser.type("users-prefix", "no such name");
        browser.find("users-prefix").sendKeys(Keys.ENTER);
        browser.waitUntil("the refused prefix is explained", d -> browser.visible("users-prefix-error"));
        assertEquals("true", browser.find("users-prefix").getDomAttribute("aria-invalid"));
        assertTrue(browser.find("users-prefix").getDomAttribute("aria-describedby").contains("users-prefix-error"));

        // An empty search box lists every user again, from the first page.
        clearUserSearch(browser);
        browser.waitUntil("all users again", d -> browser.text("users-range").startsWith("Users 1–25 of "));
        assertFalse(browser.visible("users-prefix-error"));
        assertEquals(25, rows(browser, "users-body").size());
        assertTrue(pageHeight(browser) < 3000, () -> "page height: " + pageHeight(browser));

        browser.assertNoConsoleErrors();
    }

    /** The three charts of the admin page as the page shows them: aria-label, title, points, instant of the last. */
    private static final String READ_CHARTS = """
            const out = {};
            for (const id of ['chart-active-sessions', 'chart-sign-ins', 'chart-latency']) {
              const svg = document.querySelector('#' + id + ' > svg[role="img"]');
              const caption = document.querySelector('#' + id + ' > figcaption');
              out[id] = svg === null ? null : {
                label: svg.getAttribute('aria-label'),
                title: svg.querySelector(':scope > title') ? svg.querySelector(':scope > title').textContent : null,
                points: svg.dataset.points || '0',
                lastAt: svg.dataset.lastAt || '0',
                caption: caption ? caption.textContent.trim() : null,
                lines: String(svg.querySelectorAll('polyline, circle').length),
              };
            }
            return out;""";

    @Test
    void adminPage_chartsTheStatisticsHistory_consistentWithTheApi() {
        TestClient admin = Ui.admin(a);
        String user = newUser("gwen");
        for (int i = 0; i < 3; i++) {
            Ui.login(new TestClient(a.base()), user, Ui.PASSWORD);
        }
        TestClient.Res refused = new TestClient(a.base()).postJson("api/auth/login", Json.createObjectBuilder()
                .add("username", user).add("password", "not-the-password").build().toString());
        assertError(refused, 401, "invalid_credentials");

        Browser browser = browser();
        browser.go("/admin");
        browser.signIn(Ui.ADMIN, Ui.ADMIN_PASSWORD);
        browser.waitForPage("/admin");
        // Signed in now: the user 3 times, the admin over the API and in this browser; one sign-in refused.
        int sessionsMade = 5;
        long madeBy = System.currentTimeMillis();

        // A sample every 10 s (taken on wall-clock multiples of 10 s), the page asks every 5 s, the active-sessions
        // gauge is cached for 5 s: wait until the charts show a sample taken after all of the above, and 2 points.
        @SuppressWarnings("unchecked")
        Map<String, Map<String, String>> charts = Poll.until(Duration.ofSeconds(50),
                "the admin page's charts show 2 points and a sample taken after the sign-ins", () -> {
                    Map<String, Map<String, String>> read = (Map<String, Map<String, String>>)
                            ((JavascriptExecutor) browser.driver).executeScript(READ_CHARTS);
                    boolean done = read.values().stream().allMatch(c -> c != null
                            && Integer.parseInt(c.get("points")) >= 2 && Long.parseLong(c.get("lastAt")) >= madeBy + 6_000);
                    return done ? Optional.of(read) : Optional.empty();
                });
        Map<String, String> active = charts.get("chart-active-sessions");
        Map<String, String> signIns = charts.get("chart-sign-ins");
        Map<String, String> latency = charts.get("chart-latency");
        assertEquals("Active sessions", active.get("caption"));
        assertEquals("Sign-ins per minute", signIns.get("caption"));
        assertEquals("Session load and commit time", latency.get("caption"));
        long lastAt = Long.parseLong(active.get("lastAt"));
        for (Map<String, String> chart : charts.values()) {
            assertEquals(chart.get("label"), chart.get("title"), "the <title> says what the aria-label says");
            assertEquals(lastAt, Long.parseLong(chart.get("lastAt")), "the charts are drawn from the same samples");
        }

        // The instance's own history (the browser talks to instance A only), up to the charts' last sample: samples
        // never change once taken, so these are the ones the page drew; unless the instance keeps its full 15
        // minutes (90 samples) and has dropped its oldest since the page asked: then the page may hold more.
        TestClient.Res res = admin.get("api/admin/stats/history");
        assertEquals(200, res.status(), res::toString);
        JsonObject history = res.json();
        assertEquals(10, history.getInt("intervalSeconds"), res::toString);
        boolean trimmed = history.getJsonArray("samples").size() >= 90;
        List<JsonObject> samples = history.getJsonArray("samples").stream().map(JsonObject.class::cast)
                .filter(s -> s.getJsonNumber("at").longValue() <= lastAt)
                .filter(s -> s.getJsonNumber("at").longValue() > lastAt - Duration.ofMinutes(15).toMillis())
                .toList();
        assertFalse(samples.isEmpty(), res::toString);
        JsonObject last = samples.get(samples.size() - 1);
        assertEquals(lastAt, last.getJsonNumber("at").longValue(), res::toString);
        int points = Integer.parseInt(active.get("points"));
        for (Map<String, String> chart : charts.values()) {
            assertEquals(points, Integer.parseInt(chart.get("points")), chart::toString);
        }
        for (Map<String, String> chart : List.of(active, signIns)) {
            assertTrue(Integer.parseInt(chart.get("lines")) > 0, () -> "lines drawn: " + chart);
        }
        assertSameOrMore(trimmed, samples.size(), points, "points of " + res);

        Matcher activeLabel = match("Active sessions\\. Latest: ([\\d,]+)\\. Highest: ([\\d,]+)\\. "
                + points + " points over .+\\.", active.get("label"));
        long activeNow = number(activeLabel.group(1));
        assertTrue(activeNow >= sessionsMade, () -> "active sessions " + activeNow + " >= " + sessionsMade);
        assertEquals(last.getJsonNumber("activeSessions").longValue(), activeNow, () -> active + " vs " + last);
        long activeMax = samples.stream().filter(s -> !s.isNull("activeSessions"))
                .mapToLong(s -> s.getJsonNumber("activeSessions").longValue()).max().orElseThrow();
        assertSameOrMore(trimmed, activeMax, number(activeLabel.group(2)), "highest active sessions: " + active);

        Matcher signInLabel = match("Sign-ins per minute\\. Latest: sign-ins ([\\d,]+) per minute, refused ([\\d,]+) "
                + "per minute\\. Highest: [\\d,]+ per minute\\. In all: ([\\d,]+) sign-ins?, ([\\d,]+) refused\\. "
                + points + " points over .+\\.", signIns.get("label"));
        assertEquals(last.getInt("signIns") * 6L, number(signInLabel.group(1)), signIns::toString);
        assertEquals(last.getInt("signInFailures") * 6L, number(signInLabel.group(2)), signIns::toString);
        long signInsInAll = number(signInLabel.group(3));
        long refusedInAll = number(signInLabel.group(4));
        assertSameOrMore(trimmed, samples.stream().mapToLong(s -> s.getInt("signIns")).sum(), signInsInAll,
                "sign-ins in all: " + signIns);
        assertSameOrMore(trimmed, samples.stream().mapToLong(s -> s.getInt("signInFailures")).sum(), refusedInAll,
                "refused sign-ins in all: " + signIns);
        assertTrue(signInsInAll >= sessionsMade, signIns::toString);
        assertTrue(refusedInAll >= 1, signIns::toString);

        Double load = lastMillis(samples, "loadMillis");
        Double commit = lastMillis(samples, "commitMillis");
        if (load == null && commit == null) {
            assertEquals("Session load and commit time. No data in this period.", latency.get("label"));
        } else {
            Matcher latencyLabel = match("Session load and commit time\\. Latest: load (no data|[\\d,.]+ milliseconds), "
                    + "commit (no data|[\\d,.]+ milliseconds)\\. Highest: [\\d,.]+ milliseconds\\. "
                    + points + " points over .+\\.", latency.get("label"));
            assertMillis(load, latencyLabel.group(1), latency);
            assertMillis(commit, latencyLabel.group(2), latency);
        }

        assertEquals("From 1 instance, one point per 10 s, last 15 minutes.", browser.text("charts-hint"));
        assertFalse(browser.visible("charts-status"));
        assertNoInlineCode(browser);
        ((JavascriptExecutor) browser.driver).executeScript("document.activeElement.blur(); window.scrollTo(0, 0)");
        browser.screenshot("admin-charts");

        // At phone width the charts stack, are drawn again for their width, and nothing scrolls sideways.
        browser.driver.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        browser.waitUntil("the charts redrawn for the narrow width", d -> (Boolean) ((JavascriptExecutor) d).executeScript("""
                const svg = document.querySelector('#chart-latency > svg');
                const width = Number(svg.getAttribute('viewBox').split(' ')[2]);
                return Math.abs(width - svg.getBoundingClientRect().width) <= 1
                    && document.documentElement.scrollWidth <= window.innerWidth;"""));
        ((JavascriptExecutor) browser.driver).executeScript(
                "document.getElementById('stats-title').scrollIntoView()");
        browser.screenshotViewport("admin-charts-mobile");

        browser.assertNoConsoleErrors();
    }

    private static Matcher match(String regex, String text) {
        Matcher matcher = Pattern.compile(regex).matcher(String.valueOf(text));
        assertTrue(matcher.matches(), () -> "\"" + text + "\" does not match " + regex);
        return matcher;
    }

    /** {@code shown == expected}; or, when the API's history was trimmed after the page read it, at least that. */
    private static void assertSameOrMore(boolean trimmed, long expected, long shown, String what) {
        if (trimmed) {
            assertTrue(shown >= expected, () -> what + ": " + shown + " >= " + expected);
        } else {
            assertEquals(expected, shown, what);
        }
    }

    private static long number(String text) {
        return Long.parseLong(text.replace(",", ""));
    }

    /** The newest non-null value of a latency field, or null. */
    private static Double lastMillis(List<JsonObject> samples, String field) {
        for (int i = samples.size() - 1; i >= 0; i--) {
            if (!samples.get(i).isNull(field)) {
                return samples.get(i).getJsonNumber(field).doubleValue();
            }
        }
        return null;
    }

    /** The label shows the value with at most 2 decimals. */
    private static void assertMillis(Double expected, String shown, Map<String, String> chart) {
        if (expected == null) {
            assertEquals("no data", shown, chart::toString);
            return;
        }
        double value = Double.parseDouble(shown.replace(" milliseconds", "").replace(",", ""));
        assertEquals(expected, value, 0.0051, chart::toString);
    }

    @Test
    void everyPage_hasNoConsoleErrorsNorCspViolations_andNoInlineCode() {
        // Two more devices of the admin, so the account page's list has something to show.
        for (String agent : new String[] {
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                        + "Version/18.1 Mobile/15E148 Safari/604.1"}) {
            TestClient device = new TestClient(a.base());
            device.setHeader("User-Agent", agent);
            Ui.login(device, Ui.ADMIN, Ui.ADMIN_PASSWORD);
        }
        Browser browser = browser();

        browser.go("/login?reason=expired&next=%2Faccount");
        browser.waitForPage("/login");
        assertEquals("Your session expired. Please sign in again.", browser.text("reason"));
        assertNoInlineCode(browser);
        browser.screenshot("login");

        browser.signIn(Ui.ADMIN, Ui.ADMIN_PASSWORD);
        browser.waitForPage("/account");
        browser.waitUntil("devices listed", d -> rows(browser, "sessions-body").size() >= 3);
        assertNoInlineCode(browser);
        browser.screenshot("account");

        browser.click("nav-admin");
        browser.waitForPage("/admin");
        browser.waitUntil("statistics", d -> browser.visible("stat-activeSessions"));
        showUser(browser, Ui.ADMIN);
        browser.clickCss("#users-body tr[data-username='" + Ui.ADMIN + "'] button[aria-label='Sessions of " + Ui.ADMIN + "']");
        browser.waitUntil("the admin's sessions", d -> rows(browser, "user-sessions-body").size() >= 3);
        clearUserSearch(browser);
        browser.waitUntil("all users again", d -> browser.text("users-range").matches("Users? 1(–\\d+)? of [\\d,]+"));
        ((JavascriptExecutor) browser.driver).executeScript("document.activeElement.blur(); window.scrollTo(0, 0)");
        assertNoInlineCode(browser);
        browser.screenshot("admin");

        // Keyboard: the skip link is the first stop and takes focus to the content.
        browser.go("/account");
        browser.waitForPage("/account");
        new org.openqa.selenium.interactions.Actions(browser.driver).sendKeys(org.openqa.selenium.Keys.TAB).perform();
        assertEquals("skip-link", browser.driver.switchTo().activeElement().getDomAttribute("class"));
        new org.openqa.selenium.interactions.Actions(browser.driver).sendKeys(org.openqa.selenium.Keys.ENTER).perform();
        assertEquals("main", browser.driver.switchTo().activeElement().getDomAttribute("id"));

        browser.driver.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        browser.go("/account");
        browser.waitForPage("/account");
        browser.waitUntil("devices listed", d -> rows(browser, "sessions-body").size() >= 3);
        browser.screenshotViewport("account-mobile");

        browser.assertNoConsoleErrors();
    }

    @Test
    void pageRequests_areRoutedAndGuarded_andCarryTheSecurityHeaders() {
        TestClient anonymous = new TestClient(a.base());
        assertRedirect(anonymous.get("/"), "/login");
        assertRedirect(anonymous.get("account"), "/login?next=%2Faccount");
        assertRedirect(anonymous.get("admin?tab=users"), "/login?next=%2Fadmin%3Ftab%3Dusers");
        assertEquals(405, anonymous.post("account").status());
        assertRedirect(anonymous.get("account/?x=1"), "/account?x=1");
        TestClient.Res api = anonymous.get("api/me");
        assertError(api, 401, "not_authenticated");
        assertSecurityHeaders(api);

        TestClient.Res login = anonymous.get("login");
        assertEquals(200, login.status(), login::toString);
        assertTrue(login.header("Content-Type").orElse("").startsWith("text/html"));
        assertEquals("no-store", login.header("Cache-Control").orElse(""));
        assertSecurityHeaders(login);
        for (String asset : new String[] {"css/app.css", "js/api.js", "js/login.js", "favicon.svg"}) {
            TestClient.Res res = anonymous.get(asset);
            assertEquals(200, res.status(), () -> asset + ": " + res);
            assertSecurityHeaders(res);
        }
        assertTrue(anonymous.get("js/api.js").header("Content-Type").orElse("").contains("javascript"));
        assertEquals(404, anonymous.get("login.html").status());
        assertEquals(404, anonymous.get("WEB-INF/pages/account.html").status());

        String user = newUser("finn");
        TestClient client = new TestClient(a.base());
        Ui.login(client, user, Ui.PASSWORD);
        assertRedirect(client.get("/"), "/account");
        assertRedirect(client.get("login"), "/account");
        assertRedirect(client.get("login?next=%2Faccount%3Fx%3D1"), "/account?x=1");
        for (String evil : new String[] {"//evil.example/", "https://evil.example/", "/\\evil.example", "/\\/evil",
                "javascript:alert(1)", "/login", " /account", "evil"}) {
            assertRedirect(client.get("login?next=" + URLEncoder.encode(evil, StandardCharsets.UTF_8)), "/account");
        }
        TestClient.Res account = client.get("account");
        assertEquals(200, account.status(), account::toString);
        assertEquals("no-store", account.header("Cache-Control").orElse(""));
        assertSecurityHeaders(account);
        assertTrue(account.body().contains("<script type=\"module\" src=\"/js/account.js\"></script>"));
        TestClient.Res forbidden = client.get("admin");
        assertEquals(403, forbidden.status(), forbidden::toString);
        assertEquals("no-store", forbidden.header("Cache-Control").orElse(""));

        // The cookie of a session revoked from another device: the page redirect says why.
        TestClient other = new TestClient(a.base());
        Ui.login(other, user, Ui.PASSWORD);
        JsonArray sessions = Json.createReader(new java.io.StringReader(other.get("api/me/sessions").body())).readArray();
        String victim = sessions.stream().map(JsonObject.class::cast).filter(s -> !s.getBoolean("current"))
                .map(s -> s.getString("id")).findFirst().orElseThrow();
        assertEquals(204, other.delete("api/me/sessions/" + victim).status());
        assertRedirect(client.get("account"), "/login?reason=revoked&next=%2Faccount");

        // The cookie of a session that signed out.
        String cookie = other.cookies().get("__Host-SID");
        assertEquals(204, other.post("api/auth/logout").status());
        TestClient stale = new TestClient(a.base());
        stale.setCookie("__Host-SID", cookie);
        assertRedirect(stale.get("admin"), "/login?reason=signedout&next=%2Fadmin");
    }

    private static void assertNoInlineCode(Browser browser) {
        Object inline = ((JavascriptExecutor) browser.driver).executeScript(
                "return document.querySelectorAll('script:not([src]), [style], [onclick], [onload], [onsubmit]').length");
        assertEquals(0L, inline, "inline scripts, styles or handlers on " + browser.path());
    }

    private static void assertRedirect(TestClient.Res res, String location) {
        assertEquals(303, res.status(), res::toString);
        assertEquals(location, res.header("Location").orElse(null), res::toString);
        assertEquals("no-store", res.header("Cache-Control").orElse(""));
    }

    private static void assertSecurityHeaders(TestClient.Res res) {
        String csp = res.header("Content-Security-Policy").orElse("");
        for (String directive : new String[] {"default-src 'self'", "script-src 'self'", "style-src 'self'",
                "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"}) {
            assertTrue(csp.contains(directive), () -> "CSP lacks " + directive + ": " + res);
        }
        assertFalse(csp.contains("unsafe-inline"), csp);
        assertFalse(csp.contains("unsafe-eval"), csp);
        assertEquals("nosniff", res.header("X-Content-Type-Options").orElse(""), res::toString);
        assertEquals("no-referrer", res.header("Referrer-Policy").orElse(""), res::toString);
    }

    static void assertError(TestClient.Res res, int status, String code) {
        assertEquals(status, res.status(), res::toString);
        assertEquals(code, res.json().getString("error"), res::toString);
    }
}
