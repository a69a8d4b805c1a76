/**
 * Jakarta Security over the Redis session: the authentication mechanism, the identity store and {@link
 * org.redsession.security.SessionAccess}, the session operations the REST layer may use. Depends on config,
 * account and the session port; never on the REST layer or the session filter.
 */
package org.redsession.security;
