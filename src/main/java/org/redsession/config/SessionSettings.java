package org.redsession.config;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.Config;

/**
 * Session policy: timeouts, signing secrets, cookie attributes, write throttling and size limits; read once from
 * MicroProfile Config and validated at start-up. Insecure cookie combinations are refused.
 */
@ApplicationScoped
public class SessionSettings {
    private static final Logger LOG = Logger.getLogger(SessionSettings.class.getName());

    /** Accepted values of the cookie's SameSite attribute. */
    public enum SameSite { STRICT, LAX, NONE;
        /** The attribute value as it appears in Set-Cookie. */
        public String attribute() {
            return name().charAt(0) + name().substring(1).toLowerCase(Locale.ROOT);
        }
    }

    @Inject
    Config config;

    private Duration idleTimeout;
    private Duration absoluteTimeout;
    private Duration touchInterval;
    private Duration tombstoneTtl;
    private Duration sweepInterval;
    private List<byte[]> secrets;
    private String cookieName;
    private boolean cookieSecure;
    private SameSite cookieSameSite;
    private int maxPerUser;
    private int maxAttributeBytes;
    private int maxSessionBytes;
    private int maxAttributes;
    private Duration anonymousIdleTimeout;
    private List<String> allowedTypes;

    @PostConstruct
    void read() {
        Settings s = new Settings(config);
        idleTimeout = s.duration("session.idle-timeout", "PT30M", Duration.ofSeconds(1), Duration.ofDays(30));
        absoluteTimeout = s.duration("session.absolute-timeout", "PT8H", Duration.ofSeconds(1), Duration.ofDays(365));
        if (absoluteTimeout.compareTo(idleTimeout) < 0) {
            throw new InvalidConfigurationException("session.absolute-timeout",
                    absoluteTimeout + " is shorter than session.idle-timeout " + idleTimeout);
        }
        Duration defaultTouch = idleTimeout.dividedBy(10).compareTo(Duration.ofSeconds(60)) < 0
                ? idleTimeout.dividedBy(10) : Duration.ofSeconds(60);
        touchInterval = s.duration("session.touch-interval", defaultTouch.toString(), Duration.ZERO, idleTimeout.dividedBy(2));
        tombstoneTtl = s.duration("session.tombstone-ttl", "PT30M", Duration.ofSeconds(30), Duration.ofDays(1));
        sweepInterval = s.duration("session.sweep-interval", "PT1M", Duration.ofSeconds(1), Duration.ofHours(1));

        secrets = new ArrayList<>();
        for (String secret : s.secret("session.secrets").map(v -> v.split(",")).orElse(new String[0])) {
            byte[] bytes = secret.trim().getBytes(StandardCharsets.UTF_8);
            if (bytes.length < 32) {
                throw new InvalidConfigurationException("session.secrets",
                        "every key must be at least 32 bytes long; key " + (secrets.size() + 1) + " has " + bytes.length);
            }
            secrets.add(bytes);
        }
        if (secrets.isEmpty()) {
            byte[] generated = new byte[32];
            new SecureRandom().nextBytes(generated);
            secrets.add(generated);
            LOG.warning("session.secrets (SESSION_SECRETS) is not set: generated a random signing key. Sessions will not "
                    + "survive a restart and other instances will not accept them; set the same SESSION_SECRETS everywhere.");
        }

        cookieName = s.string("session.cookie.name", "__Host-SID");
        if (!cookieName.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")) {
            throw new InvalidConfigurationException("session.cookie.name", "'" + cookieName + "' is not a valid cookie name");
        }
        cookieSecure = s.bool("session.cookie.secure", true);
        cookieSameSite = s.enumeration("session.cookie.same-site", "Lax", SameSite.class);
        if (!cookieSecure && (cookieName.startsWith("__Host-") || cookieName.startsWith("__Secure-"))) {
            throw new InvalidConfigurationException("session.cookie.secure",
                    "false is refused with a cookie named " + cookieName + ": browsers drop such cookies without Secure");
        }
        if (!cookieSecure && cookieSameSite == SameSite.NONE) {
            throw new InvalidConfigurationException("session.cookie.same-site", "None is refused unless session.cookie.secure=true");
        }
        if (!cookieSecure) {
            LOG.warning("session.cookie.secure=false: the session cookie will travel over plain HTTP. Use it for local development only.");
        }
        maxPerUser = s.integer("session.max-per-user", 10, 1, 10_000);
        maxAttributeBytes = s.integer("session.max-attribute-bytes", 16 * 1024, 64, 1024 * 1024);
        maxSessionBytes = s.integer("session.max-session-bytes", 64 * 1024, 256, 8 * 1024 * 1024);
        maxAttributes = s.integer("session.max-attributes", 100, 1, 100_000);
        anonymousIdleTimeout = s.duration("session.anonymous-idle-timeout", "PT15M", Duration.ofSeconds(1),
                Duration.ofDays(30));
        if (anonymousIdleTimeout.compareTo(idleTimeout) > 0) {
            anonymousIdleTimeout = idleTimeout; // never longer than a signed-in session's
        }
        allowedTypes = s.list("session.allowed-types");
    }

    /** Idle (sliding) timeout: the default {@code maxInactiveInterval} of signed-in sessions. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * The default {@code maxInactiveInterval} of sessions nobody has signed in to (at most {@link #idleTimeout()}), so
     * pre-authentication sessions end sooner; a sign-in switches to {@link #idleTimeout()}.
     */
    public Duration anonymousIdleTimeout() {
        return anonymousIdleTimeout;
    }

    /** Most attributes one session may hold. */
    public int maxAttributes() {
        return maxAttributes;
    }

    /** Absolute lifetime from creation; activity never extends it. */
    public Duration absoluteTimeout() {
        return absoluteTimeout;
    }

    /**
     * The idle deadline of a session that is used but not changed is written back at most once per this interval
     * (default: a tenth of the idle timeout, at most 60 s); a session may therefore end up to this much early.
     */
    public Duration touchInterval() {
        return touchInterval;
    }

    /** How long the marker of an ended session is kept, so that its cookie is answered with the reason. */
    public Duration tombstoneTtl() {
        return tombstoneTtl;
    }

    /** How often one instance removes expired entries from the user indexes (and counts them as expired). */
    public Duration sweepInterval() {
        return sweepInterval;
    }

    /** HMAC keys; the first signs, all verify. Never empty. */
    public List<byte[]> secrets() {
        return secrets;
    }

    public String cookieName() {
        return cookieName;
    }

    public boolean cookieSecure() {
        return cookieSecure;
    }

    public SameSite cookieSameSite() {
        return cookieSameSite;
    }

    public int maxPerUser() {
        return maxPerUser;
    }

    public int maxAttributeBytes() {
        return maxAttributeBytes;
    }

    public int maxSessionBytes() {
        return maxSessionBytes;
    }

    /** Extra attribute classes (fully qualified names) that may be stored as JSON. */
    public List<String> allowedTypes() {
        return allowedTypes;
    }
}
