package org.redsession.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.Config;

/**
 * Sign-in throttling, the session-creation limit, proxy trust, step-up and the audit trail's bounds; read once from MicroProfile Config and validated at start-up.
 */
@ApplicationScoped
public class SecuritySettings {

    @Inject
    Config config;

    private int maxFailuresPerAccount;
    private int maxFailuresPerClient;
    private Duration throttleWindow;
    private Set<String> trustedProxies;
    private int maxRequestBytes;
    private int maxNewSessionsPerClient;
    private Duration newSessionWindow;
    private String strictTransportSecurity;
    private Duration reauthMaxAge;
    private int auditMaxEvents;
    private Duration auditMaxAge;

    @PostConstruct
    void read() {
        Settings s = new Settings(config);
        maxFailuresPerAccount = s.integer("security.login.max-failures", 5, 1, 1000);
        maxFailuresPerClient = s.integer("security.login.max-failures-per-client", 20, 1, 100_000);
        throttleWindow = s.duration("security.login.window", "PT15M", Duration.ofSeconds(1), Duration.ofDays(1));
        List<String> proxies = s.list("security.trusted-proxies");
        for (String p : proxies) {
            if (!p.matches("[0-9A-Fa-f.:]+")) {
                throw new InvalidConfigurationException("security.trusted-proxies", "'" + p + "' is not an IP address");
            }
        }
        trustedProxies = Set.copyOf(proxies);
        maxRequestBytes = s.integer("security.max-request-bytes", 1024 * 1024, 1024, 64 * 1024 * 1024);
        maxNewSessionsPerClient = s.integer("security.session-creation.max-per-client", 60, 0, 1_000_000);
        newSessionWindow = s.duration("security.session-creation.window", "PT1M", Duration.ofSeconds(1),
                Duration.ofDays(1));
        Duration hstsMaxAge = s.duration("security.hsts.max-age", "P365D", Duration.ofDays(365), Duration.ofDays(3650));
        boolean includeSubDomains = s.bool("security.hsts.include-subdomains", false);
        boolean preload = s.bool("security.hsts.preload", false);
        if (preload && !includeSubDomains) {
            throw new InvalidConfigurationException("security.hsts.preload",
                    "preloading needs security.hsts.include-subdomains=true (the browsers' preload lists require it)");
        }
        String reauth = s.string("security.reauth-max-age", "PT15M");
        reauthMaxAge = "0".equals(reauth.trim()) ? Duration.ZERO
                : s.duration("security.reauth-max-age", "PT15M", Duration.ZERO, Duration.ofDays(1));
        auditMaxEvents = s.integer("security.audit.max-events", 20, 0, 1000);
        auditMaxAge = s.duration("security.audit.max-age", "P30D", Duration.ofMinutes(1), Duration.ofDays(400));
        strictTransportSecurity = "max-age=" + hstsMaxAge.toSeconds() + (includeSubDomains ? "; includeSubDomains" : "")
                + (preload ? "; preload" : "");
    }

    /**
     * The {@code Strict-Transport-Security} value sent on every response to a request that reached the server over
     * HTTPS (directly, or per {@code X-Forwarded-Proto} from a trusted proxy).
     */
    public String strictTransportSecurity() {
        return strictTransportSecurity;
    }

    /**
     * How recent a sign-in must be for sensitive actions (creating or deleting users, ending another user's sessions);
     * older sessions get 401 {@code reauthentication_required}. Zero: no such check.
     */
    public Duration reauthMaxAge() {
        return reauthMaxAge;
    }

    /**
     * Events each user's audit trail keeps in Redis (the newest; older ones are dropped as new ones come). 0: no trail
     * in Redis (the server log still gets every event).
     */
    public int auditMaxEvents() {
        return auditMaxEvents;
    }

    /** How long a user's audit trail keeps an event (the trail key expires this long after its last event). */
    public Duration auditMaxAge() {
        return auditMaxAge;
    }

    /** Failed sign-ins of one account within the window before further attempts get 429. */
    public int maxFailuresPerAccount() {
        return maxFailuresPerAccount;
    }

    /** Failed sign-ins from one client address within the window before further attempts get 429. */
    public int maxFailuresPerClient() {
        return maxFailuresPerClient;
    }

    public Duration throttleWindow() {
        return throttleWindow;
    }

    /** Largest request body accepted; larger ones get 413 {@code payload_too_large}. */
    public int maxRequestBytes() {
        return maxRequestBytes;
    }

    /**
     * Anonymous sessions one client (address; IPv6 by /64) may create per {@link #newSessionWindow()}; beyond it
     * requests that would store a new anonymous session get 429 {@code too_many_sessions}. 0 = no limit.
     */
    public int maxNewSessionsPerClient() {
        return maxNewSessionsPerClient;
    }

    public Duration newSessionWindow() {
        return newSessionWindow;
    }

    /** Addresses of reverse proxies whose {@code X-Forwarded-For} is believed; empty = believe none. */
    public Set<String> trustedProxies() {
        return trustedProxies;
    }
}
