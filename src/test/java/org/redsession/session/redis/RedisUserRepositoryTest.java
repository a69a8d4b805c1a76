package org.redsession.session.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redsession.account.User;
import org.redsession.account.UserRepository;
import org.redsession.account.UserRepository.Page;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionKey;
import org.redsession.session.SessionSummary;
import org.redsession.session.SessionWrite;
import org.redsession.session.UserRef;
import org.redsession.testsupport.RedisServer;

/** {@link RedisUserRepository}: accounts in their users' slots and the sharded directory, against a real redis-server. */
class RedisUserRepositoryTest {

    private static final long LEFTOVER_TTL = 8 * 3_600_000L;
    /** A hash as the application stores it: PBKDF2-HMAC-SHA512, 16-byte salt, 32-byte key, base64. */
    private static final String HASH = "PBKDF2WithHmacSHA512:210000:3q2+7wABAgMEBQYHCAkKCw==:"
            + "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private static RedisServer redis;
    private static RedissonClient client;

    private String prefix;
    private Layout layout;
    private RedisUserRepository users;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        client = TestRedisson.client(redis);
    }

    @AfterAll
    static void stopRedis() {
        TestRedisson.stop(client, redis);
    }

    @BeforeEach
    void newPrefix() {
        prefix = "rur" + PREFIXES.incrementAndGet() + ":";
        layout = new Layout(redis, prefix);
        users = new RedisUserRepository(client, prefix, LEFTOVER_TTL);
    }

    private static User user(String name) {
        return new User(name, HASH, Set.of("user"), 1_700_000_000_000L);
    }

    /** The directory shard of a name: the shard of the user's slot tag (first base64url character, modulo 16). */
    private String directoryOf(String name) {
        String b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        return layout.directory(b64.indexOf(SessionIds.userTag(name).charAt(0)) % 16);
    }

    private List<String> names(Page page) {
        return page.users().stream().map(User::username).toList();
    }

    // ---- create, find, update, delete -----------------------------------------------------------------------

    @Test
    void create_thenFind_returnsTheUser_fromOneCompactAccountHashWithoutATtl_listedInTheDirectory() {
        User alice = new User("alice", HASH, Set.of("user", "admin"), 1_700_000_000_123L);
        assertTrue(users.create(alice));

        assertEquals(Optional.of(alice), users.find("alice"));
        String account = layout.account("alice");
        assertEquals(prefix + "a:{" + SessionIds.userTag("alice") + "}alice", account);
        assertEquals(Map.of("pw", "PBKDF2WithHmacSHA512:210000:3q2+7wABAgMEBQYHCAkKCw==",
                "pk", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=",
                "roles", "admin,user", "created", "1700000000123"), layout.hgetall(account));
        assertEquals(-1, redis.ttl(account), "an account persists");
        // pw and pk are each under 64 bytes: Redis keeps the hash compact.
        assertTrue(Set.of("listpack", "ziplist").contains(redis.call("OBJECT", "ENCODING", account)),
                "encoding " + redis.call("OBJECT", "ENCODING", account));
        assertEquals("0", redis.call("ZSCORE", directoryOf("alice"), "alice"));
        assertEquals(-1, redis.ttl(directoryOf("alice")), "the directory persists");
        assertEquals(Optional.empty(), users.find("bob"));
        assertEquals(Optional.empty(), users.find("Alice"), "names are case-sensitive");
    }

    @Test
    void create_ofATakenName_isFalse_andChangesNothing() {
        assertTrue(users.create(user("alice")));
        Map<String, String> before = layout.hgetall(layout.account("alice"));

        assertFalse(users.create(new User("alice", "other:1:salt:hash", Set.of("admin"), 5)));
        assertEquals(before, layout.hgetall(layout.account("alice")));
        assertEquals(Optional.of(user("alice")), users.find("alice"));
        assertEquals(1, users.count());
    }

    @Test
    void updatePassword_replacesTheHash_andFindsNoAccountForAnUnknownUser() {
        assertTrue(users.create(user("alice")));
        String newHash = "PBKDF2WithHmacSHA512:300000:AAECAwQFBgcICQoLDA0ODw==:"
                + "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

        assertEquals(UserRepository.PasswordUpdate.UPDATED, users.updatePassword("alice", null, newHash));
        User updated = users.find("alice").orElseThrow();
        assertEquals(newHash, updated.passwordHash());
        assertEquals(Set.of("user"), updated.roles());
        assertEquals(1_700_000_000_000L, updated.createdAt());
        assertEquals("PBKDF2WithHmacSHA512:300000:AAECAwQFBgcICQoLDA0ODw==",
                redis.call("HGET", layout.account("alice"), "pw"));

        assertEquals(UserRepository.PasswordUpdate.NO_ACCOUNT, users.updatePassword("bob", null, newHash));
        assertFalse(layout.exists(layout.account("bob")), "an update created an account");
    }

    @Test
    void updatePassword_withAnExpectedHash_writesOnlyWhileTheStoredHashIsStillIt() {
        User alice = user("alice");
        assertTrue(users.create(alice));
        String first = "PBKDF2WithHmacSHA512:300000:AQECAwQFBgcICQoLDA0ODw==:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
        String second = "PBKDF2WithHmacSHA512:300000:AgECAwQFBgcICQoLDA0ODw==:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

        // Two changes checked against the same stored hash: the first one wins, the second finds it changed.
        assertEquals(UserRepository.PasswordUpdate.UPDATED, users.updatePassword("alice", alice.passwordHash(), first));
        assertEquals(UserRepository.PasswordUpdate.CHANGED_MEANWHILE,
                users.updatePassword("alice", alice.passwordHash(), second));
        assertEquals(first, users.find("alice").orElseThrow().passwordHash(), "the losing change wrote nothing");
        assertEquals(UserRepository.PasswordUpdate.UPDATED, users.updatePassword("alice", first, second));
        assertEquals(second, users.find("alice").orElseThrow().passwordHash());
        assertEquals(UserRepository.PasswordUpdate.NO_ACCOUNT, users.updatePassword("bob", first, second));
    }

    /** The hash is split at its last ':' into pw and pk; reading joins them again, whatever the hash looks like. */
    @Test
    void passwordHashes_roundTripThroughTheTwoFields() {
        List<String> hashes = List.of(HASH, "PBKDF2WithHmacSHA256:3072:c2FsdA==:aGFzaA==", "plain-no-colon",
                "one:colon", "a:b:c:d:e:f", "::x", "algo:1:salt:has=h+/");
        int i = 0;
        for (String hash : hashes) {
            String name = "user" + i++;
            assertTrue(users.create(new User(name, hash, Set.of(), 0)));
            assertEquals(hash, users.find(name).orElseThrow().passwordHash(), "stored as " + layout.hgetall(
                    layout.account(name)));
            String updated = hash + "2";
            assertEquals(UserRepository.PasswordUpdate.UPDATED, users.updatePassword(name, null, updated));
            assertEquals(updated, users.find(name).orElseThrow().passwordHash());
        }
        String[] split = RedisUserRepository.split(HASH);
        assertEquals(HASH, split[0] + ":" + split[1]);
        assertFalse(split[1].contains(":"));
    }

    @Test
    void delete_removesTheAccountAndItsDirectoryEntry() {
        assertTrue(users.create(user("alice")));
        assertTrue(users.create(user("bob")));

        assertTrue(users.delete("alice"));
        assertEquals(Optional.empty(), users.find("alice"));
        assertFalse(layout.exists(layout.account("alice")), "an account without sessions leaves nothing");
        assertNull(redis.call("ZSCORE", directoryOf("alice"), "alice"));
        assertEquals(1, users.count());
        assertEquals(List.of("bob"), names(users.page(10, null, "")));
        assertFalse(users.delete("alice"), "deleted twice");
        assertFalse(users.delete("carol"), "never existed");
        assertEquals(UserRepository.PasswordUpdate.NO_ACCOUNT, users.updatePassword("alice", null, HASH),
                "the password of a deleted user");

        assertTrue(users.create(user("alice")), "the name is free again");
        assertEquals(Optional.of(user("alice")), users.find("alice"));
    }

    /**
     * The account also holds its user's session index: deleting the account keeps the index, with a TTL, until the
     * sessions it lists are ended; a new account of that name keeps no TTL.
     */
    @Test
    void delete_ofAUserWithSessions_keepsTheirIndex_withATtl() {
        assertTrue(users.create(user("alice")));
        SessionIds ids = new SessionIds(List.of("user-repository-test-secret-0123456789".getBytes(
                StandardCharsets.US_ASCII)));
        UserRef alice = ids.userRef("alice");
        RedissonSessionStore store = new RedissonSessionStore(client, prefix, 120_000, LEFTOVER_TTL, 10);
        SessionKey session = ids.keyOf(ids.newIdFor(alice));
        long t = System.currentTimeMillis();
        assertTrue(store.save(new SessionWrite(session, null, true, Map.of("#c", Long.toString(t), "#u", "alice"),
                Set.of(), Map.of(), 600_000, alice, t)).isPresent());
        assertEquals(-1, redis.ttl(layout.account("alice")));

        assertTrue(users.delete("alice"));
        assertEquals(Optional.empty(), users.find("alice"));
        String account = layout.account("alice");
        assertEquals(Set.of("s:" + session.hash()), layout.hgetall(account).keySet(), "only the index is left");
        long pttl = redis.ttl(account);
        assertTrue(pttl > 0 && pttl <= LEFTOVER_TTL, "leftover PTTL " + pttl);
        assertEquals(List.of(session.hash()), store.sessionsOf(alice).stream().map(SessionSummary::handle).toList(),
                "the sessions to end are still listed");
        assertEquals(0, users.count());
        assertEquals(List.of(), users.page(10, null, "").users());
        assertFalse(users.delete("alice"));
        assertEquals(UserRepository.PasswordUpdate.NO_ACCOUNT, users.updatePassword("alice", null, HASH));

        assertEquals(1, store.revokeAll(alice, System.currentTimeMillis(), "account-deleted", null));
        assertFalse(layout.exists(account), "the index went with the last session");
        assertTrue(users.create(user("alice")));
        assertEquals(-1, redis.ttl(account), "a new account of that name has no TTL");
    }

    @Test
    void create_overALeftoverIndex_makesTheAccountPersistAgain() {
        assertTrue(users.create(user("alice")));
        redis.call("HSET", layout.account("alice"), "s:AAAAAAAAAAAAAAAA", "9999999999999");
        assertTrue(users.delete("alice"));
        assertTrue(redis.ttl(layout.account("alice")) > 0);

        assertTrue(users.create(user("alice")));
        assertEquals(-1, redis.ttl(layout.account("alice")));
        assertEquals(Optional.of(user("alice")), users.find("alice"));
    }

    // ---- the directory: page and count ----------------------------------------------------------------------

    /** 250 users plus names that test byte order (upper case before lower case, punctuation). */
    private List<String> createMany() {
        TreeSet<String> all = new TreeSet<>();
        for (int i = 0; i < 250; i++) {
            all.add(String.format("user%03d", i));
        }
        all.addAll(List.of("Zed", "zed", "Abe", "abe", "a.b", "a-b", "a_b", "a@b", "a0b", "usera", "user", "use",
                "user_x", "user-y"));
        for (String name : all) {
            assertTrue(users.create(user(name)), name);
        }
        return new ArrayList<>(all);
    }

    private List<String> allPages(int limit, String prefix, List<Page> pages) {
        List<String> seen = new ArrayList<>();
        String after = null;
        for (int guard = 0; guard < 1000; guard++) {
            Page page = users.page(limit, after, prefix);
            pages.add(page);
            assertTrue(page.users().size() <= limit, "a page of " + page.users().size());
            seen.addAll(names(page));
            if (page.next() == null) {
                return seen;
            }
            if (!page.users().isEmpty()) {
                String lastName = names(page).get(names(page).size() - 1);
                assertTrue(page.next().compareTo(lastName) >= 0, "next " + page.next() + " before " + lastName);
            }
            after = page.next();
        }
        throw new AssertionError("no last page");
    }

    @Test
    void page_givesEveryUserOnce_inNameOrder_acrossPages_andNextIsNullOnTheLastPage() {
        List<String> expected = createMany();
        assertEquals(264, expected.size());
        long shards = java.util.stream.IntStream.range(0, 16)
                .filter(k -> ((Long) redis.call("ZCARD", layout.directory(k))) > 0).count();
        assertTrue(shards >= 8, "the names spread over the directory's shards: " + shards);
        for (String name : expected) {
            assertEquals("0", redis.call("ZSCORE", directoryOf(name), name), name + " in its shard");
        }

        for (int limit : List.of(1, 7, 37, 50, 88, 263, 264, 500)) {
            List<Page> pages = new ArrayList<>();
            assertEquals(expected, allPages(limit, "", pages), "limit " + limit);
            int full = (expected.size() + limit - 1) / limit;
            assertEquals(full, pages.size(), "pages of " + limit + " (no empty last page)");
            for (int i = 0; i < pages.size() - 1; i++) {
                Page page = pages.get(i);
                assertEquals(limit, page.users().size(), "page " + i + " of " + limit + " is full");
                assertEquals(names(page).get(limit - 1), page.next(), "next is the page's last name");
            }
        }
        User first = users.page(1, null, "").users().get(0);
        assertEquals(user("Abe"), first, "pages carry the whole user");
    }

    @Test
    void page_filtersByPrefix_andStartsAfterTheGivenName() {
        List<String> all = createMany();

        List<Page> pages = new ArrayList<>();
        List<String> user1 = allPages(30, "user1", pages);
        assertEquals(all.stream().filter(n -> n.startsWith("user1")).toList(), user1);
        assertEquals(100, user1.size());
        assertEquals(List.of("user240", "user241", "user242", "user243", "user244", "user245", "user246", "user247",
                "user248", "user249"), names(users.page(50, null, "user24")));
        assertNull(users.page(50, null, "user24").next());
        assertEquals(List.of("a-b", "a.b", "a0b", "a@b", "a_b", "abe"), names(users.page(50, null, "a")));
        assertEquals(List.of("Zed"), names(users.page(50, null, "Z")), "prefixes are case-sensitive");
        assertEquals(all.stream().filter(n -> n.startsWith("user")).toList(), allPages(64, "user", new ArrayList<>()));
        Page none = users.page(10, null, "nobody");
        assertEquals(List.of(), none.users());
        assertNull(none.next());

        assertEquals(List.of("user100", "user101"), names(users.page(2, "user099", "")));
        assertEquals(List.of("user100", "user101"), names(users.page(2, "user0999", "")), "after a name not stored");
        assertEquals(List.of("user240", "user241"), names(users.page(2, "user", "user24")), "after before the prefix");
        assertEquals(List.of("user245", "user246"), names(users.page(2, "user244", "user24")));
        Page last = users.page(5, "user247", "user24");
        assertEquals(List.of("user248", "user249"), names(last));
        assertNull(last.next());
        assertEquals(List.of(), users.page(5, "user249", "user24").users());
        assertEquals(List.of(), users.page(5, "zzz", "user").users(), "after beyond the prefix");
        assertEquals(List.of(), users.page(5, "zed", "").users());
    }

    @Test
    void page_skipsADirectoryEntryWhoseAccountIsGone() {
        createMany();
        redis.call("ZADD", directoryOf("user0505"), "0", "user0505"); // left by a failure between the two writes
        redis.call("HDEL", layout.account("user051"), "pw", "pk", "roles", "created");

        Page page = users.page(3, "user049", "user05");
        assertTrue(List.of("user050", "user052", "user053").containsAll(names(page)), "page " + names(page));
        List<String> all = allPages(10, "user05", new ArrayList<>());
        assertEquals(List.of("user050", "user052", "user053", "user054", "user055", "user056", "user057", "user058",
                "user059"), all);
    }

    @Test
    void count_isTheNumberOfUsers() {
        assertEquals(0, users.count());
        List<String> all = createMany();
        assertEquals(all.size(), users.count());
        assertTrue(users.delete("user100"));
        assertTrue(users.delete("Zed"));
        assertFalse(users.delete("Zed"));
        assertEquals(all.size() - 2, users.count());
        assertEquals(0, new RedisUserRepository(client, prefix + "other:", LEFTOVER_TTL).count(),
                "each key prefix has its own directory");
    }

    /** Accounts of the layout before the directory ({users}:u:<name> and the set {users}:all) move at start-up. */
    @Test
    void migrateLegacy_movesOldAccountsToTheCurrentLayout_once_andKeepsAnAccountThatExistsAlready() {
        redis.call("HSET", prefix + "{users}:u:olga", "pw", HASH, "roles", "admin,user", "created", "1700000000000");
        redis.call("HSET", prefix + "{users}:u:pete", "pw", HASH, "roles", "user", "created", "1700000000001");
        redis.call("SADD", prefix + "{users}:all", "olga", "pete");
        users.create(new User("pete", "PBKDF2WithHmacSHA512:1000:bmV3LXNhbHQ=:bmV3LWhhc2g=", Set.of("user"), 42));

        assertEquals(1, users.migrateLegacy(), "olga moved; pete exists already in the new layout");
        User olga = users.find("olga").orElseThrow();
        assertEquals(HASH, olga.passwordHash());
        assertEquals(Set.of("admin", "user"), olga.roles());
        assertEquals(1700000000000L, olga.createdAt());
        assertEquals(42, users.find("pete").orElseThrow().createdAt(), "the existing account is kept as it is");
        assertEquals(List.of("olga", "pete"), users.page(10, null, "").users().stream().map(User::username).toList());
        assertEquals(0L, redis.call("EXISTS", prefix + "{users}:u:olga", prefix + "{users}:u:pete", prefix + "{users}:all"),
                "the old keys are gone");
        assertEquals(0, users.migrateLegacy(), "nothing left to move");
    }
}
