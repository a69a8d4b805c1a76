/**
 * The Redis adapters of the application's ports ({@link org.redsession.session.SessionStore}, {@link
 * org.redsession.account.UserRepository}) and the CDI-produced Redisson client. The only package that imports
 * {@code org.redisson}; key names live in {@code RedisKeys}, Lua scripts beside the classes.
 */
package org.redsession.session.redis;
