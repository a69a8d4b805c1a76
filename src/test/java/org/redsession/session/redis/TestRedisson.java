package org.redsession.session.redis;

import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;
import org.redsession.testsupport.RedisServer;

/** The Redisson client the store tests use: configured as the application's (strings, script cache), one server. */
final class TestRedisson {
    private TestRedisson() {
    }

    static RedissonClient client(RedisServer redis) {
        Config c = new Config();
        c.setCodec(StringCodec.INSTANCE);
        c.setUseScriptCache(true);
        c.useSingleServer().setAddress(redis.url());
        return Redisson.create(c);
    }

    /** Shuts the client down, then stops the server (either may be null: a failed start). */
    static void stop(RedissonClient client, RedisServer redis) {
        if (client != null) {
            client.shutdown();
        }
        if (redis != null) {
            redis.stop();
        }
    }
}
