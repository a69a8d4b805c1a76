package org.redsession.session.redis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;
import org.redsession.account.User;
import org.redsession.account.UserRepository;
import org.redsession.config.RedisSettings;

/** {@link UserRepository} on Redis: one hash per user plus a set of all names, both under the {@code {users}} tag. */
@ApplicationScoped
public class RedisUserRepository implements UserRepository {

    @Inject
    RedissonClient redisson;

    private RedisKeys keys;

    @Inject
    void init(RedisSettings settings) {
        keys = new RedisKeys(settings.keyPrefix());
    }

    @Override
    public Optional<User> find(String username) {
        try {
            Map<String, String> h = redisson.<String, String>getMap(keys.user(username), StringCodec.INSTANCE).readAllMap();
            return h.isEmpty() ? Optional.empty() : Optional.of(toUser(username, h));
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
    }

    @Override
    public boolean create(User user) {
        Long created = Scripts.run(redisson, Scripts.CREATE_USER, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.user(user.username()), keys.allUsers()), user.username(),
                "pw", user.passwordHash(), "roles", String.join(",", new TreeSet<>(user.roles())),
                "created", Long.toString(user.createdAt()));
        return created != null && created == 1;
    }

    @Override
    public boolean updatePassword(String username, String passwordHash) {
        Long updated = Scripts.run(redisson, Scripts.UPDATE_PASSWORD, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.user(username)), passwordHash);
        return updated != null && updated == 1;
    }

    @Override
    public boolean delete(String username) {
        Long deleted = Scripts.run(redisson, Scripts.DELETE_USER, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.user(username), keys.allUsers()), username);
        return deleted != null && deleted == 1;
    }

    @Override
    public List<User> list() {
        List<String> names = names();
        if (names.isEmpty()) {
            return List.of();
        }
        try {
            // Every user hash shares the {users} slot: one pipelined batch, not a round trip per user.
            RBatch batch = redisson.createBatch();
            for (String name : names) {
                batch.<String, String>getMap(keys.user(name), StringCodec.INSTANCE).readAllMapAsync();
            }
            List<?> hashes = batch.execute().getResponses();
            List<User> result = new ArrayList<>(names.size());
            for (int i = 0; i < names.size(); i++) {
                @SuppressWarnings("unchecked")
                Map<String, String> h = (Map<String, String>) hashes.get(i);
                if (h != null && !h.isEmpty()) { // deleted between the two reads
                    result.add(toUser(names.get(i), h));
                }
            }
            return result;
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
    }

    @Override
    public List<String> names() {
        try {
            return List.copyOf(new TreeSet<>(redisson.<String>getSet(keys.allUsers(), StringCodec.INSTANCE).readAll()));
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
    }

    private static User toUser(String username, Map<String, String> h) {
        String roles = h.getOrDefault("roles", "");
        Set<String> roleSet = roles.isEmpty() ? Set.of() : new TreeSet<>(Arrays.asList(roles.split(",")));
        long created = Long.parseLong(h.getOrDefault("created", "0"));
        return new User(username, h.getOrDefault("pw", ""), roleSet, created);
    }
}
