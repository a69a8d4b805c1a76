/**
 * The session layer's core: ids and signed cookies ({@link org.redsession.session.SessionIds}), the per-request
 * session ({@link org.redsession.session.RequestSession}, {@link org.redsession.session.SessionState}), the
 * attribute format ({@link org.redsession.session.AttributeCodec}) and the storage port ({@link
 * org.redsession.session.SessionStore}). Plain Java: no servlet and no Redis types; depends on nothing internal.
 *
 * <p>Write policy, in one sentence: attributes are written when {@code setAttribute}/{@code removeAttribute} is
 * called, at the end of the request, in one round trip; an object changed in place without a new
 * {@code setAttribute} is not persisted.
 */
package org.redsession.session;
