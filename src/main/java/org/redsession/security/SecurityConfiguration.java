package org.redsession.security;

import jakarta.annotation.security.DeclareRoles;
import jakarta.enterprise.context.ApplicationScoped;

import org.redsession.account.Roles;

/** Declares the application's roles to Jakarta Security. */
@DeclareRoles({Roles.USER, Roles.ADMIN})
@ApplicationScoped
public class SecurityConfiguration {
}
