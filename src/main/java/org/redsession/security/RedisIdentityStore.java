package org.redsession.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.credential.Credential;
import jakarta.security.enterprise.credential.UsernamePasswordCredential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStore;

import org.redsession.account.AccountService;
import org.redsession.account.BootstrapAdmin;

/**
 * Jakarta Security identity store over the accounts kept in Redis. Three outcomes: a credential it does not handle
 * is NOT_VALIDATED; an unknown user or a wrong password is INVALID (at the same cost); a Redis outage throws
 * {@link org.redsession.session.SessionStoreUnavailableException}, never "invalid credentials".
 */
@ApplicationScoped
public class RedisIdentityStore implements IdentityStore {

    @Inject
    AccountService accounts;
    @Inject
    BootstrapAdmin bootstrapAdmin;

    @Override
    public CredentialValidationResult validate(Credential credential) {
        if (!(credential instanceof UsernamePasswordCredential c)) {
            return CredentialValidationResult.NOT_VALIDATED_RESULT;
        }
        bootstrapAdmin.ensure();
        return accounts.authenticate(c.getCaller(), c.getPasswordAsString())
                .map(u -> new CredentialValidationResult(u.username(), u.roles()))
                .orElse(CredentialValidationResult.INVALID_RESULT);
    }
}
