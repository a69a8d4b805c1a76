package org.redsession.session.redis;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.redsession.session.SessionIds;
import org.redsession.session.SessionKey;
import org.redsession.session.UserRef;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;

/**
 * The Redis key layout of one key prefix as the tests read it with plain commands (independently of {@link RedisKeys},
 * so a test notices when the layout changes): sessions, tombstones, accounts holding the session index, revocation
 * markers, the expiry index and the counts of signed-in sessions.
 */
final class Layout {
    /** An expiry list: {@code x:{x<shard>}:<bucket>}. */
    private static final Pattern EXPIRY_LIST = Pattern.compile("x:\\{x(\\d+)\\}:(\\d+)");

    private final RedisServer redis;
    private final String prefix;

    Layout(RedisServer redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    String session(SessionKey key) {
        return prefix + "s:{" + key.tag() + "}" + key.hash();
    }

    String tombstone(SessionKey key) {
        return session(key) + ":gone";
    }

    /** The user's account hash, which also holds the user's session index (fields {@code s:<handle>}). */
    String account(String username) {
        return prefix + "a:{" + SessionIds.userTag(username) + "}" + username;
    }

    String account(UserRef user) {
        return account(user.username());
    }

    String marker(String tag) {
        return prefix + "u:{" + tag + "}nb";
    }

    String directory(int shard) {
        return prefix + "d:{d" + shard + "}";
    }

    /** The expiry list of a bucket of deadlines: buckets take turns over the 16 shards (shard = bucket mod 16). */
    String expiryList(long bucket) {
        return prefix + "x:{x" + Math.floorMod(bucket, 16) + "}:" + bucket;
    }

    String count(int shard) {
        return prefix + "x:{x" + shard + "}:n";
    }

    /** The bucket of a deadline: buckets are {@link ExpiryIndex#BUCKET_MS} wide. */
    static long bucket(long deadline) {
        return Math.floorDiv(deadline, ExpiryIndex.BUCKET_MS);
    }

    /** When the bucket of this deadline may be swept: {@link ExpiryIndex#SETTLE_MS} after the bucket's end. */
    static long dueAt(long deadline) {
        return (bucket(deadline) + 1) * ExpiryIndex.BUCKET_MS + ExpiryIndex.SETTLE_MS;
    }

    /** The latest bucket a sweep at {@code now} reads (it ended at least the settling time ago). */
    static long lastDueBucket(long now) {
        return Math.floorDiv(now - ExpiryIndex.SETTLE_MS, ExpiryIndex.BUCKET_MS) - 1;
    }

    /** The expiry-index entry of a session: tag, hash, user name (empty when anonymous). */
    static String entry(SessionKey key, String username) {
        return key.tag() + key.hash() + (username == null ? "" : username);
    }

    boolean exists(String key) {
        return Long.valueOf(1).equals(redis.call("EXISTS", key));
    }

    Map<String, String> hgetall(String key) {
        List<?> flat = (List<?>) redis.call("HGETALL", key);
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            map.put((String) flat.get(i), (String) flat.get(i + 1));
        }
        return map;
    }

    /** The deadline {@code #e} of a stored session, or null. */
    Long deadline(SessionKey key) {
        Object v = redis.call("HGET", session(key), "#e");
        return v == null ? null : Long.valueOf((String) v);
    }

    /** The deadline the user's index holds for a handle, or null when the handle is not indexed. */
    Long indexedDeadline(UserRef user, String handle) {
        Object v = redis.call("HGET", account(user), "s:" + handle);
        return v == null ? null : Long.valueOf((String) v);
    }

    /** The handles in the user's index, sorted. */
    List<String> indexed(UserRef user) {
        TreeSet<String> handles = new TreeSet<>();
        for (Object f : (List<?>) redis.call("HKEYS", account(user))) {
            String field = (String) f;
            if (field.startsWith("s:")) {
                handles.add(field.substring(2));
            }
        }
        return new ArrayList<>(handles);
    }

    /** Removes a handle from the user's index (a stale index). */
    void unindex(UserRef user, String... handles) {
        for (String h : handles) {
            redis.call("HDEL", account(user), "s:" + h);
        }
    }

    /** Every expiry list of the prefix, by key. */
    List<String> expiryLists() {
        List<String> lists = new ArrayList<>();
        for (String k : redis.scanKeys(prefix + "x:*")) {
            if (EXPIRY_LIST.matcher(k.substring(prefix.length())).matches()) {
                lists.add(k);
            }
        }
        return lists;
    }

    /** Every entry of every expiry list of the prefix (with repetitions), keyed by list. */
    Map<String, List<String>> expiryEntries() {
        Map<String, List<String>> all = new HashMap<>();
        for (String list : expiryLists()) {
            List<String> entries = new ArrayList<>();
            for (Object e : (List<?>) redis.call("LRANGE", list, "0", "-1")) {
                entries.add((String) e);
            }
            all.put(list, entries);
        }
        return all;
    }

    /** The number of expiry-index entries of the prefix. */
    long expiryEntryCount() {
        return expiryEntries().values().stream().mapToLong(List::size).sum();
    }

    /** The lists (shard, bucket) that hold this entry, one item per occurrence. */
    List<String> whereIndexed(String entry) {
        List<String> where = new ArrayList<>();
        expiryEntries().forEach((list, entries) -> {
            for (String e : entries) {
                if (e.equals(entry)) {
                    where.add(list);
                }
            }
        });
        return where;
    }

    /** The bucket of an expiry list's key. */
    long bucketOf(String list) {
        Matcher m = EXPIRY_LIST.matcher(list.substring(prefix.length()));
        if (!m.matches()) {
            throw new IllegalArgumentException(list);
        }
        return Long.parseLong(m.group(2));
    }

    /**
     * Waits until the expiry index holds {@code n} entries: the store writes them without waiting for the reply, so
     * a test that counts commands or keys waits for them first.
     */
    void awaitExpiryEntries(long n) {
        Poll.until(Duration.ofSeconds(10), n + " expiry-index entries under " + prefix,
                () -> expiryEntryCount() == n);
    }

    /**
     * Moves every expiry-index entry of the prefix into the list of the last bucket a sweep reads now, in the entry's
     * shard: as if the sessions had been indexed a bucket or two ago. Only before the first sweep of the prefix (a
     * sweep never goes back behind the buckets it finished). The lists get the TTL the store gives them.
     */
    long backdateAll() {
        return backdateAll(1);
    }

    /**
     * Like {@link #backdateAll()}, spreading the entries in turn over the last {@code buckets} due buckets (so over
     * as many shards); needs a linger of more than {@code buckets + 1} buckets. Returns the last due bucket.
     */
    long backdateAll(int buckets) {
        long due = lastDueBucket(System.currentTimeMillis());
        List<String> all = new ArrayList<>();
        for (Map.Entry<String, List<String>> list : expiryEntries().entrySet()) {
            all.addAll(list.getValue());
            redis.call("DEL", list.getKey());
        }
        for (int i = 0; i < all.size(); i++) {
            push(due - i % buckets, all.get(i));
        }
        return due;
    }

    /** Appends an entry to the list of a bucket (with a TTL, as the store would). */
    void push(long bucket, String entry) {
        String list = expiryList(bucket);
        redis.call("RPUSH", list, entry);
        redis.call("PEXPIRE", list, "600000");
    }

    /** The lease and sweep-cursor keys of the prefix. */
    List<String> sweepKeys() {
        List<String> keys = new ArrayList<>();
        for (String k : redis.scanKeys(prefix + "x:*")) {
            if (k.endsWith(":lease") || k.endsWith(":next")) {
                keys.add(k);
            }
        }
        return keys;
    }

    /** The sum of the per-shard counts of signed-in sessions, read with plain GETs. */
    long countKeysTotal() {
        long total = 0;
        for (int shard = 0; shard < 16; shard++) {
            Object v = redis.call("GET", count(shard));
            total += v == null ? 0 : Long.parseLong((String) v);
        }
        return total;
    }

    /** SHA-1 (hex) of each script of {@link Scripts}, to the script's constant name ("SAVE", "EXPIRY_PUSH", ...). */
    static Map<String, String> scriptsBySha() {
        Map<String, String> bySha = new HashMap<>();
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            for (Field f : Scripts.class.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                    f.setAccessible(true);
                    String text = (String) f.get(null);
                    bySha.put(HexFormat.of().formatHex(sha1.digest(text.getBytes(StandardCharsets.UTF_8))), f.getName());
                }
            }
        } catch (NoSuchAlgorithmException | IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        return bySha;
    }
}
