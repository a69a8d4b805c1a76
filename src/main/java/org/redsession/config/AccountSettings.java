package org.redsession.config;

import java.time.Duration;
import java.util.Optional;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.Config;

/** Accounts: the bootstrap administrator and password hashing cost; read once and validated at start-up. */
@ApplicationScoped
public class AccountSettings {

    @Inject
    Config config;

    private String bootstrapAdminUsername;
    private Optional<String> bootstrapAdminPassword;
    private int passwordHashIterations;
    private int passwordHashConcurrency;
    private Duration passwordHashMaxWait;

    @PostConstruct
    void read() {
        Settings s = new Settings(config);
        bootstrapAdminUsername = s.string("app.bootstrap-admin.username", "admin");
        bootstrapAdminPassword = s.secret("app.bootstrap-admin.password");
        passwordHashIterations = s.integer("security.password-hash.iterations", 210_000, 10_000, 10_000_000);
        passwordHashConcurrency = s.integer("security.password-hash.concurrency",
                Runtime.getRuntime().availableProcessors(), 1, 256);
        passwordHashMaxWait = s.duration("security.password-hash.max-wait", "PT20S", Duration.ofMillis(100),
                Duration.ofMinutes(1));
    }

    public String bootstrapAdminUsername() {
        return bootstrapAdminUsername;
    }

    /** The bootstrap administrator's password; when absent no administrator is created. */
    public Optional<String> bootstrapAdminPassword() {
        return bootstrapAdminPassword;
    }

    /** PBKDF2-HMAC-SHA512 iterations for stored password hashes. */
    public int passwordHashIterations() {
        return passwordHashIterations;
    }

    /** Password hashes computed at once (default: one per core); more wait in a queue. */
    public int passwordHashConcurrency() {
        return passwordHashConcurrency;
    }

    /** The longest a sign-in may wait for a hashing thread; beyond it, 503 {@code server_busy}. */
    public Duration passwordHashMaxWait() {
        return passwordHashMaxWait;
    }
}
