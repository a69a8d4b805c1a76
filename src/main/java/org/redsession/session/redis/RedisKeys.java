package org.redsession.session.redis;

import java.util.List;

import org.redsession.session.SessionKey;

/**
 * The one place that names Redis keys. Every key starts with the configured prefix. All keys of one session share
 * the hash tag {@code {<slot tag>}}, so multi-key scripts on a session are legal in Redis Cluster; user keys share
 * the tag {@code {users}}.
 *
 * <pre>
 * &lt;prefix&gt;s:{tag}hash         session hash (TTL = min(idle, absolute) deadline)
 * &lt;prefix&gt;s:{tag}hash:gone    tombstone of an ended session: the reason (TTL session.tombstone-ttl)
 * &lt;prefix&gt;{users}:u:name      user account hash (no TTL: accounts are persistent data)
 * &lt;prefix&gt;{users}:all         set of all user names (no TTL)
 * </pre>
 */
final class RedisKeys {
    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    String session(SessionKey key) {
        return prefix + "s:{" + key.tag() + "}" + key.hash();
    }

    String tombstone(SessionKey key) {
        return session(key) + ":gone";
    }

    List<Object> sessionKeys(SessionKey key) {
        return List.of(session(key), tombstone(key));
    }

    String user(String username) {
        return prefix + "{users}:u:" + username;
    }

    String allUsers() {
        return prefix + "{users}:all";
    }
}
