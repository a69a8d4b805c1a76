package org.redsession.account;

import java.util.Set;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.redsession.config.AccountSettings;
import org.redsession.session.SessionStoreUnavailableException;

/**
 * Creates the administrator named by {@code app.bootstrap-admin.username} at start-up when it does not exist and a
 * password is configured. If Redis is down at start-up it tries again before each sign-in until it succeeds.
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
        try {
            ensure();
        } catch (SessionStoreUnavailableException e) {
            LOG.warning("Redis is not reachable at start-up; the bootstrap administrator will be created when it is");
        }
    }

    /** Creates the administrator if that has not been done yet. */
    public void ensure() {
        if (done) {
            return;
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
