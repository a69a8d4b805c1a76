/**
 * User accounts: the {@link org.redsession.account.UserRepository} port, password hashing and checks ({@link
 * org.redsession.account.AccountService}) and the bootstrap administrator. No JAX-RS, servlet or Redis types.
 */
package org.redsession.account;
