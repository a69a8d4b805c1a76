package org.redsession.it.ui;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * One headless Chromium (Debian's {@code /usr/bin/chromium} driven through {@code /usr/bin/chromedriver}; Selenium
 * Manager is never asked to download anything) with a fresh profile, so each Browser is a separate cookie jar, i.e.
 * a separate device. Collects the browser console (JavaScript errors and CSP violations are SEVERE entries there).
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of(System.getProperty("ui.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("ui.chromedriver", "/usr/bin/chromedriver"));
    static final Duration WAIT = Duration.ofSeconds(20);

    static {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    }

    private final URI base;
    private final Path profile;
    private final ChromeDriverService service;
    final ChromeDriver driver;
    private final List<LogEntry> console = new ArrayList<>();

    /** A desktop-sized browser for pages of {@code base} ("http://localhost:port/"). */
    Browser(URI base) {
        this(base, 1280, 1000);
    }

    Browser(URI base, int width, int height) {
        assertTrue(Files.isExecutable(CHROMIUM), () -> CHROMIUM + " is missing: apt-get install chromium chromium-driver");
        assertTrue(Files.isExecutable(CHROMEDRIVER), () -> CHROMEDRIVER + " is missing: apt-get install chromium-driver");
        this.base = base;
        try {
            this.profile = Files.createTempDirectory("ui-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--lang=en-US",
                "--window-size=" + width + "," + height, "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        this.service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream())
                .build();
        this.driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        driver.manage().window().setSize(new Dimension(width, height));
    }

    URI base() {
        return base;
    }

    /** Navigates to a path of the base URL (following redirects as a browser does). */
    void go(String path) {
        driver.get(base.resolve(path.startsWith("/") ? path.substring(1) : path).toString());
    }

    /** Navigates to an absolute URL (another instance). */
    void goTo(URI url) {
        driver.get(url.toString());
    }

    URI url() {
        return URI.create(driver.getCurrentUrl());
    }

    String path() {
        return url().getRawPath();
    }

    /** The decoded query parameters of the current URL. */
    Map<String, String> query() {
        String raw = url().getRawQuery();
        Map<String, String> params = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.put(key, value);
            }
        }
        return params;
    }

    <T> T waitUntil(Duration timeout, String what, ExpectedCondition<T> condition) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(100))
                .withMessage(() -> what + " (at " + driver.getCurrentUrl() + ")")
                .until(condition);
    }

    <T> T waitUntil(String what, ExpectedCondition<T> condition) {
        return waitUntil(WAIT, what, condition);
    }

    /** Waits until the browser shows {@code path} and the page's script has finished starting. */
    void waitForPage(String path) {
        waitForPage(path, WAIT);
    }

    void waitForPage(String path, Duration timeout) {
        waitUntil(timeout, "page " + path + " loaded and ready", d -> path.equals(path())
                && "true".equals(d.findElement(By.tagName("html")).getDomAttribute("data-ready")));
    }

    WebElement find(String id) {
        return driver.findElement(By.id(id));
    }

    String text(String id) {
        return find(id).getText();
    }

    boolean visible(String id) {
        List<WebElement> found = driver.findElements(By.id(id));
        return !found.isEmpty() && found.get(0).isDisplayed();
    }

    void type(String id, String text) {
        WebElement input = find(id);
        input.clear();
        input.sendKeys(text);
    }

    void click(String id) {
        find(id).click();
    }

    /**
     * Clicks the element the CSS selector finds, finding it again if the page re-rendered it between finding and
     * clicking (a list that refreshes itself).
     */
    void clickCss(String css) {
        waitUntil("a clickable " + css, d -> {
            try {
                d.findElement(By.cssSelector(css)).click();
                return true;
            } catch (org.openqa.selenium.StaleElementReferenceException | org.openqa.selenium.NoSuchElementException e) {
                return null;
            }
        });
    }

    /** Fills in and submits the sign-in form (the browser must be on the sign-in page). */
    void signIn(String username, String password) {
        waitForPage("/login");
        type("username", username);
        type("password", password);
        click("login-submit");
    }

    /** Reads the console entries gathered since the last call into this browser's record, and returns them all. */
    List<LogEntry> console() {
        console.addAll(driver.manage().logs().get(LogType.BROWSER).getAll());
        return List.copyOf(console);
    }

    /**
     * Fails on any SEVERE console entry (JavaScript error, CSP violation, failed load) that {@code expected} does not
     * accept.
     */
    void assertNoConsoleErrors(Predicate<LogEntry> expected) {
        List<LogEntry> errors = console().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .filter(expected.negate())
                .toList();
        assertTrue(errors.isEmpty(), () -> "console errors:\n" + errors.stream().map(LogEntry::toString)
                .collect(Collectors.joining("\n")));
    }

    void assertNoConsoleErrors() {
        assertNoConsoleErrors(e -> false);
    }

    /** A 401 of an API call, which Chromium logs as a failed resource load: expected when a session ends. */
    static boolean apiUnauthorized(LogEntry entry) {
        String m = entry.getMessage();
        return m.contains("/api/") && m.contains("status of 401");
    }

    /**
     * Saves a PNG of the whole page as {@code <dir>/<name>.png} when the system property {@code ui.screenshots} is
     * set (to a folder, or to {@code true} for {@code docs/screenshots}); does nothing otherwise, so CI leaves the tree
     * clean.
     */
    void screenshot(String name) {
        save(name, true);
    }

    /** Like {@link #screenshot} but only what the window shows. */
    void screenshotViewport(String name) {
        save(name, false);
    }

    private void save(String name, boolean fullPage) {
        String setting = System.getProperty("ui.screenshots");
        if (setting == null || setting.isBlank() || setting.equals("false")) {
            return;
        }
        Path dir = setting.equals("true") ? Path.of("docs", "screenshots") : Path.of(setting);
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(name + ".png"), fullPage ? fullPagePng() : driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save screenshot " + name, e);
        }
    }

    /** The whole page, not only the viewport (Chromium's DevTools screenshot beyond the viewport). */
    private byte[] fullPagePng() {
        Map<String, Object> metrics = driver.executeCdpCommand("Page.getLayoutMetrics", Map.of());
        @SuppressWarnings("unchecked")
        Map<String, Object> size = (Map<String, Object>) metrics.get("cssContentSize");
        Map<String, Object> clip = Map.of("x", 0, "y", 0, "scale", 1,
                "width", ((Number) size.get("width")).doubleValue(),
                "height", ((Number) size.get("height")).doubleValue());
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot",
                Map.of("format", "png", "captureBeyondViewport", true, "clip", clip));
        return Base64.getDecoder().decode((String) shot.get("data"));
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder left behind is harmless
        }
    }
}
