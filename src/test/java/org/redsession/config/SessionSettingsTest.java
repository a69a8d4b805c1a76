package org.redsession.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Optional;

import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

/**
 * Insecure session-cookie settings stop the start-up, naming the property (ASVS: the cookie keeps Secure whenever a
 * browser would need it): a {@code __Host-} or {@code __Secure-} name without Secure, {@code SameSite=None} without
 * Secure. The checks run where the application reads its configuration, with the values a deployment would set.
 */
class SessionSettingsTest {

    /** A MicroProfile Config holding just these properties (only what {@link Settings} asks of it). */
    static Config config(Map<String, String> properties) {
        return (Config) Proxy.newProxyInstance(Config.class.getClassLoader(), new Class<?>[] {Config.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getOptionalValue" -> Optional.ofNullable(properties.get((String) args[0]));
                    case "getValue" -> Optional.ofNullable(properties.get((String) args[0])).orElseThrow();
                    case "getPropertyNames" -> properties.keySet();
                    case "toString" -> "Config" + properties;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static SessionSettings read(Map<String, String> properties) {
        SessionSettings settings = new SessionSettings();
        settings.config = config(properties);
        settings.read();
        return settings;
    }

    @Test
    void secureFalse_isRefusedWithAHostOrSecurePrefixedCookieName() {
        for (String name : new String[] {"__Host-SID", "__Secure-SID"}) {
            InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                    () -> read(Map.of("session.cookie.name", name, "session.cookie.secure", "false")));
            assertTrue(e.getMessage().contains("session.cookie.secure"), e.getMessage());
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        // The default name with secure=false: refused too (the default name is __Host-SID).
        assertThrows(InvalidConfigurationException.class, () -> read(Map.of("session.cookie.secure", "false")));
    }

    @Test
    void sameSiteNone_isRefusedWithoutSecure_andAcceptedWithIt() {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> read(Map.of("session.cookie.name", "SID", "session.cookie.secure", "false",
                        "session.cookie.same-site", "None")));
        assertTrue(e.getMessage().contains("session.cookie.same-site"), e.getMessage());
        SessionSettings ok = read(Map.of("session.cookie.same-site", "None"));
        assertEquals(SessionSettings.SameSite.NONE, ok.cookieSameSite());
        assertTrue(ok.cookieSecure());
    }

    @Test
    void theDefaults_areAHostPrefixedSecureLaxCookie() {
        SessionSettings defaults = read(Map.of());
        assertEquals("__Host-SID", defaults.cookieName());
        assertTrue(defaults.cookieSecure());
        assertEquals(SessionSettings.SameSite.LAX, defaults.cookieSameSite());
        // A plain name may go without Secure for local development (with a warning in the log).
        SessionSettings dev = read(Map.of("session.cookie.name", "SID", "session.cookie.secure", "false"));
        assertEquals(false, dev.cookieSecure());
    }

    /**
     * ASVS 7.1.1 (C20): the timeouts are documented and justified against NIST SP 800-63B. The justification in
     * docs/security.md states the defaults; this keeps it true (the defaults the code reads are the ones it states) and
     * keeps the defaults within NIST's AAL2 limits it cites (30 minutes idle, 12 hours absolute).
     */
    @Test
    void theTimeoutDefaults_areTheOnesDocsSecurityJustifiesAgainstNist_andWithinAal2() throws java.io.IOException {
        SessionSettings defaults = read(Map.of());
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("docs/security.md"));
        String section = doc.substring(doc.indexOf("## Timeouts and NIST SP 800-63B"));
        section = section.substring(0, section.indexOf("\n## ", 5)).replace('\n', ' ');
        assertTrue(section.contains("an idle timeout of " + defaults.idleTimeout().toMinutes() + " minutes"), section);
        assertTrue(section.contains(defaults.anonymousIdleTimeout().toMinutes() + " minutes for sessions nobody has signed in to"),
                section);
        assertTrue(section.contains("an absolute lifetime of " + defaults.absoluteTimeout().toHours() + " hours"), section);
        assertTrue(defaults.idleTimeout().compareTo(java.time.Duration.ofMinutes(30)) <= 0, "AAL2: 30 minutes idle at most");
        assertTrue(defaults.absoluteTimeout().compareTo(java.time.Duration.ofHours(12)) <= 0, "AAL2: 12 hours at most");
    }
}
