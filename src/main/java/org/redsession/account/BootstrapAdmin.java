package org.redsession.account;

import java.util.Set;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.redsession.config.AccountSettings;
import org.redsession.config.InvalidConfigurationException;
import org.redsession.session.SessionStoreUnavailableException;

/**
 * Creates the administrator named by {@code app.bootstrap-admin.username} at start-up when it does not exist and a
 * password is configured. A name or password that breaks the account rules stops the start-up with a message naming
 * the property. If Redis is down at start-up it tries again before each sign-in until it succeeds.
 */
@ApplicationScoped
public class BootstrapAdmin {
    private static final Logger LOG = Logger.getLogger(BootstrapAdmin.class.getName());

    @Inject
    AccountSettings settings;
    @Inject
    AccountService accounts;

    private volatile boolean done;

    void onStart(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        validateConfiguration();
        try {
            ensure();
        } catch (SessionStoreUnavailableException e) {
            LOG.warning("Redis is not reachable at start-up; the bootstrap administrator will be created when it is");
        }
    }

    /**
     * Checks the configured name and password against the account rules before Redis is touched, so a weak password
     * never reaches {@link #ensure()} (where it would fail every sign-in while Redis was down at start-up).
     */
    private void validateConfiguration() {
        if (settings.bootstrapAdminPassword().isEmpty()) {
            return;
        }
        String name = settings.bootstrapAdminUsername();
        try {
            AccountService.validateUsername(name);
        } catch (InvalidAccountException e) {
            throw new InvalidConfigurationException("app.bootstrap-admin.username", e.getMessage());
        }
        try {
            accounts.validatePassword(name, settings.bootstrapAdminPassword().get());
        } catch (InvalidAccountException e) {
            throw new InvalidConfigurationException("app.bootstrap-admin.password", e.getMessage());
        }
    }

    /** Moves accounts of an earlier storage layout, then creates the administrator if that has not been done yet. */
    public void ensure() {
        if (done) {
            return;
        }
        int moved = accounts.migrateLegacy();
        if (moved > 0) {
            LOG.info(() -> "Moved " + moved + " account(s) from the earlier storage layout");
        }
        if (settings.bootstrapAdminPassword().isEmpty()) {
            LOG.warning("app.bootstrap-admin.password (APP_BOOTSTRAP_ADMIN_PASSWORD) is not set: no administrator is created");
            done = true;
            return;
        }
        String name = settings.bootstrapAdminUsername();
        if (accounts.find(name).isEmpty()) {
            accounts.create(name, settings.bootstrapAdminPassword().get(), Set.of(Roles.ADMIN, Roles.USER));
            LOG.info(() -> "Created the bootstrap administrator '" + name + "'");
        }
        done = true;
    }
}
