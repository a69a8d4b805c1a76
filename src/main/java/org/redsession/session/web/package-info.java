/**
 * The servlet side of the session layer: {@link org.redsession.session.web.SessionFilter} (first in the chain), the
 * request and response wrappers, the {@code HttpSession} adapter, the cookie writer and listener delivery.
 * Depends on the session port, config and the Servlet API; never on Redisson.
 */
package org.redsession.session.web;
