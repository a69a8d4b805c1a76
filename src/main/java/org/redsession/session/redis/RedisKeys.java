package org.redsession.session.redis;

import java.util.List;

import org.redsession.session.ClientRef;
import org.redsession.session.SessionKey;
import org.redsession.session.UserRef;

/**
 * The one place that names Redis keys. Every key starts with the configured prefix. All keys of one session share
 * the hash tag {@code {<slot tag>}}; a signed-in session's tag is its user's tag, shared with the user's index and
 * revocation markers, so every multi-key script is legal in Redis Cluster. Accounts share the tag {@code {users}}.
 * An anonymous session's tag is its creating client's tag, shared with the client's creation counter. The tag
 * carries no secret: it is a keyed hash of the client address or of the user name (or random, when the client is not
 * known).
 *
 * <pre>
 * &lt;prefix&gt;s:{tag}hash         session hash (TTL = min(idle, absolute) deadline)
 * &lt;prefix&gt;s:{tag}hash:gone    tombstone of an ended session: the reason (TTL session.tombstone-ttl)
 * &lt;prefix&gt;u:{tag}name:s       a user's session index: zset handle -&gt; idle deadline (TTL absolute timeout)
 * &lt;prefix&gt;u:{tag}nb           revocation markers of the slot: hash user -&gt; "not-before ms|reason" (TTL absolute timeout)
 * &lt;prefix&gt;n:{tag}hash         anonymous sessions a client created in the current window (TTL the window)
 * &lt;prefix&gt;{throttle}:a:hash   failed sign-ins of an account (keyed hash of the name; TTL the window)
 * &lt;prefix&gt;{throttle}:c:hash   failed sign-ins from a client address (keyed hash; TTL the window)
 * &lt;prefix&gt;lease:name          a lease held by one instance for periodic work (TTL the lease)
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

    List<Object> loadKeys(SessionKey key) {
        return List.of(session(key), tombstone(key), notBefore(key.tag()));
    }

    String index(UserRef user) {
        return prefix + "u:{" + user.tag() + "}" + user.username() + ":s";
    }

    /** Revocation markers of the slot {@code tag} (shared by the users whose tag it is). */
    String notBefore(String tag) {
        return prefix + "u:{" + tag + "}nb";
    }

    String session(String tag, String handle) {
        return session(new SessionKey(tag, handle));
    }

    /** The count of anonymous sessions a client created in the current window; in the client's slot. */
    String newSessions(ClientRef client) {
        return prefix + "n:{" + client.tag() + "}" + client.hash();
    }

    String accountFailures(String accountHash) {
        return prefix + "{throttle}:a:" + accountHash;
    }

    String clientFailures(String client) {
        return prefix + "{throttle}:c:" + client;
    }

    /** A lease that lets one instance do periodic work (e.g. the expiry sweep). */
    String lease(String name) {
        return prefix + "lease:" + name;
    }

    String user(String username) {
        return prefix + "{users}:u:" + username;
    }

    String allUsers() {
        return prefix + "{users}:all";
    }
}
