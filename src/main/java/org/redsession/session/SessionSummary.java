package org.redsession.session;

/**
 * One live session of a user, as "my sessions" and the admin API list it.
 *
 * @param handle         opaque handle (the keyed hash of the id, never the id)
 * @param createdAt      epoch ms
 * @param lastAccessedAt epoch ms
 * @param ipAddress      client address at sign-in, may be null
 * @param userAgent      client User-Agent at sign-in, may be null
 */
public record SessionSummary(String handle, long createdAt, long lastAccessedAt, String ipAddress, String userAgent) {
}
