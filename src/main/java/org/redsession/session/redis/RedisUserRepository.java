package org.redsession.session.redis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RSet;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;
import org.redsession.account.User;
import org.redsession.account.UserRepository;
import org.redsession.config.RedisSettings;
import org.redsession.config.SessionSettings;
import org.redsession.session.SessionIds;
import org.redsession.session.UserRef;

/**
 * {@link UserRepository} on Redis. Each account is a hash in its user's slot ({@link RedisKeys#account}), so accounts
 * and sign-ins spread over every shard of a cluster. Names are also listed in a directory of {@value
 * RedisKeys#SHARDS} sorted sets (score 0, so ordered by name), which pages through users by name and counts them
 * ({@code ZCARD}) without reading the accounts.
 *
 * <p>The password hash ({@code algorithm:iterations:salt:hash}) is stored in two fields, {@code pw} (up to the salt)
 * and {@code pk} (the hash), each under 64 bytes, so Redis keeps the account in its compact encoding.
 *
 * <p>Creating writes the directory entry first, deleting removes it last, so an account is never missing from the
 * directory; an entry whose account is gone (a failure in between) is skipped when listing.
 */
@ApplicationScoped
public class RedisUserRepository implements UserRepository {
    private static final Logger LOG = Logger.getLogger(RedisUserRepository.class.getName());

    @Inject
    RedissonClient redisson;

    private RedisKeys keys;
    private long leftoverTtlMillis;

    /** For CDI. */
    public RedisUserRepository() {
    }

    /** For tests and use outside CDI. */
    RedisUserRepository(RedissonClient redisson, String keyPrefix, long leftoverTtlMillis) {
        this.redisson = redisson;
        this.keys = new RedisKeys(keyPrefix);
        this.leftoverTtlMillis = leftoverTtlMillis;
    }

    @Inject
    void init(RedisSettings settings, SessionSettings sessionSettings) {
        keys = new RedisKeys(settings.keyPrefix());
        leftoverTtlMillis = sessionSettings.absoluteTimeout().toMillis();
    }

    @Override
    public Optional<User> find(String username) {
        try {
            return toUser(username, redisson.<String, String>getMap(keys.account(username), StringCodec.INSTANCE)
                    .getAll(Set.of("pw", "pk", "roles", "created")));
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
    }

    @Override
    public boolean create(User user) {
        try {
            // The directory entry first: an account is never missing from it (an entry without account is skipped).
            redisson.<String>getScoredSortedSet(keys.directory(user.username()), StringCodec.INSTANCE)
                    .add(0, user.username());
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
        String[] pw = split(user.passwordHash());
        Long created = Scripts.run(redisson, Scripts.CREATE_USER, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.account(user.username()),
                        keys.audit(new UserRef(SessionIds.userTag(user.username()), user.username()))), "pw", pw[0], "pk", pw[1],
                "roles", String.join(",", new TreeSet<>(user.roles())), "created", Long.toString(user.createdAt()));
        return created != null && created == 1;
    }

    @Override
    public PasswordUpdate updatePassword(String username, String expectedHash, String passwordHash) {
        String[] pw = split(passwordHash);
        String[] expected = expectedHash == null ? new String[] {"", ""} : split(expectedHash);
        Long updated = Scripts.run(redisson, Scripts.UPDATE_PASSWORD, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.account(username)), pw[0], pw[1], expected[0], expected[1]);
        return updated == null || updated == 0 ? PasswordUpdate.NO_ACCOUNT
                : updated == 2 ? PasswordUpdate.CHANGED_MEANWHILE : PasswordUpdate.UPDATED;
    }

    @Override
    public boolean delete(String username) {
        Long deleted = Scripts.run(redisson, Scripts.DELETE_USER, RScript.Mode.READ_WRITE, RScript.ReturnType.LONG,
                List.of(keys.account(username)), Long.toString(leftoverTtlMillis));
        try {
            redisson.<String>getScoredSortedSet(keys.directory(username), StringCodec.INSTANCE).remove(username);
        } catch (RedisException e) {
            // The account is gone; its directory entry is skipped when listing and removed by the next delete.
            LOG.warning(() -> "Deleting a user: the directory entry stays (" + e.getClass().getSimpleName() + ")");
        }
        return deleted != null && deleted == 1;
    }

    @Override
    public Page page(int limit, String after, String prefix) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        String from = after != null && !after.isEmpty() && after.compareTo(prefix) >= 0 ? "(" + after : "[" + prefix;
        // Names are ASCII: every name starting with the prefix sorts below prefix + U+007F.
        String to = prefix.isEmpty() ? "+" : "(" + prefix + '\u007f';
        try {
            // Each shard's first limit + 1 names in range, in one batch; merged, the first limit are the page.
            RBatch batch = redisson.createBatch();
            for (int shard = 0; shard < RedisKeys.SHARDS; shard++) {
                batch.getScript(StringCodec.INSTANCE).evalAsync(keys.directoryShard(shard), RScript.Mode.READ_ONLY,
                        "return redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', 0, ARGV[3])",
                        RScript.ReturnType.LIST, List.of(keys.directoryShard(shard)), from, to,
                        Integer.toString(limit + 1));
            }
            TreeSet<String> names = new TreeSet<>();
            for (Object r : batch.execute().getResponses()) {
                for (Object name : (List<?>) r) {
                    names.add(String.valueOf(name));
                }
            }
            List<String> pageNames = new ArrayList<>(names).subList(0, Math.min(limit, names.size()));
            String next = names.size() > limit ? pageNames.get(pageNames.size() - 1) : null;
            return new Page(accounts(pageNames), next);
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
    }

    /** The accounts of these names, in one batch; names whose account is gone are left out. */
    private List<User> accounts(List<String> names) {
        if (names.isEmpty()) {
            return List.of();
        }
        RBatch batch = redisson.createBatch();
        for (String name : names) {
            batch.getScript(StringCodec.INSTANCE).evalAsync(keys.account(name), RScript.Mode.READ_ONLY,
                    "local v = redis.call('HMGET', KEYS[1], 'pw', 'pk', 'roles', 'created') "
                            + "if not v[1] then return {} end "
                            + "return {'pw', v[1], 'pk', v[2] or '', 'roles', v[3] or '', 'created', v[4] or '0'}",
                    RScript.ReturnType.LIST, List.of(keys.account(name)));
        }
        List<?> responses = batch.execute().getResponses();
        List<User> users = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            @SuppressWarnings("unchecked")
            List<Object> flat = (List<Object>) responses.get(i);
            toUser(names.get(i), RedissonSessionStore.pairs(flat)).ifPresent(users::add);
        }
        return users;
    }

    @Override
    public long count() {
        try {
            RBatch batch = redisson.createBatch();
            for (int shard = 0; shard < RedisKeys.SHARDS; shard++) {
                batch.getScoredSortedSet(keys.directoryShard(shard), StringCodec.INSTANCE).sizeAsync();
            }
            long total = 0;
            for (Object n : batch.execute().getResponses()) {
                total += ((Number) n).longValue();
            }
            return total;
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
    }

    /**
     * Moves the accounts of the layout used before the directory (hashes {@code {users}:u:<name>} listed in the set
     * {@code {users}:all}, all in one cluster slot) to the current one, then deletes the old keys. Reads the old set
     * with SSCAN, once; an account that already exists in the new layout is kept as it is.
     */
    @Override
    public int migrateLegacy() {
        String legacySet = keys.prefix() + "{users}:all";
        try {
            RSet<String> all = redisson.getSet(legacySet, StringCodec.INSTANCE);
            if (!all.isExists()) {
                return 0;
            }
            int moved = 0;
            for (String name : all) {
                String legacyKey = keys.prefix() + "{users}:u:" + name;
                Map<String, String> h = redisson.<String, String>getMap(legacyKey, StringCodec.INSTANCE).readAllMap();
                Optional<User> user = toUser(name, h);
                if (user.isPresent() && find(name).isEmpty() && create(user.get())) {
                    moved++;
                }
                redisson.getKeys().delete(legacyKey);
            }
            all.delete();
            return moved;
        } catch (RedisException e) {
            throw Scripts.unavailable(e);
        }
    }

    /** {@code algorithm:iterations:salt:hash} as {@code [algorithm:iterations:salt, hash]}. */
    static String[] split(String passwordHash) {
        int last = passwordHash.lastIndexOf(':');
        return last < 0 ? new String[] {passwordHash, ""}
                : new String[] {passwordHash.substring(0, last), passwordHash.substring(last + 1)};
    }

    /** A user from its account fields (pw, pk, roles, created); empty without a password (no or a deleted account). */
    private static Optional<User> toUser(String username, Map<String, String> h) {
        String pw = h.get("pw");
        if (pw == null) {
            return Optional.empty();
        }
        String pk = h.getOrDefault("pk", "");
        String roles = h.getOrDefault("roles", "");
        Set<String> roleSet = roles.isEmpty() ? Set.of() : new TreeSet<>(Arrays.asList(roles.split(",")));
        String hash = pk.isEmpty() ? pw : pw + ":" + pk;
        long created;
        try {
            created = Long.parseLong(h.getOrDefault("created", "0"));
        } catch (NumberFormatException e) {
            created = 0;
        }
        return Optional.of(new User(username, hash, roleSet, created));
    }
}
