package org.redsession.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The id format, the signed cookie value, key rotation and the store key derived from an id. */
class SessionIdsTest {

    private static final Pattern URL_SAFE_47 = Pattern.compile("[A-Za-z0-9_-]{47}");
    private static final String B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static final byte[] OLD_KEY = secret("old-signing-secret");
    private static final byte[] NEW_KEY = secret("new-signing-secret");
    private static final byte[] ANCHOR_KEY = secret("store-anchor-secret");

    private final SessionIds ids = new SessionIds(List.of(OLD_KEY));

    private static byte[] secret(String seed) {
        byte[] s = new byte[32];
        byte[] b = seed.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) (b[i % b.length] + i);
        }
        return s;
    }

    /** A different URL-safe character than {@code c}. */
    private static char other(char c) {
        return c == 'A' ? 'B' : 'A';
    }

    private static String replaceAt(String s, int index, char c) {
        return s.substring(0, index) + c + s.substring(index + 1);
    }

    // ---- ids ------------------------------------------------------------------------------------------------

    @Test
    void newId_is47UrlSafeCharacters_andUniqueOver10000() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = ids.newId();
            assertTrue(URL_SAFE_47.matcher(id).matches(), "not 47 URL-safe chars: " + id);
            assertTrue(seen.add(id), "duplicate id " + id);
        }
    }

    @Test
    void newId_drawsAFreshTagEachTime() {
        Set<String> tags = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            tags.add(ids.keyOf(ids.newId()).tag());
        }
        // 24 random bits per tag: 200 draws repeating more than a handful of times would mean the tag is not random
        assertTrue(tags.size() > 190, "only " + tags.size() + " distinct tags in 200 ids");
    }

    // ---- sign / verify --------------------------------------------------------------------------------------

    @Test
    void signThenVerify_givesTheIdBack() {
        for (int i = 0; i < 100; i++) {
            String id = ids.newId();
            String value = ids.sign(id);
            assertEquals(SessionIds.MAX_COOKIE_LENGTH, value.length());
            assertEquals(Optional.of(id), ids.verify(value));
        }
    }

    @Test
    void verify_valueSignedWithOldKey_isAcceptedWhileTheOldKeyIsStillListed() {
        SessionIds before = new SessionIds(List.of(OLD_KEY));
        SessionIds rotated = new SessionIds(List.of(NEW_KEY, OLD_KEY));
        String id = before.newId();

        assertEquals(Optional.of(id), rotated.verify(before.sign(id)));
    }

    @Test
    void sign_afterRotation_usesTheFirstKey() {
        SessionIds before = new SessionIds(List.of(OLD_KEY));
        SessionIds rotated = new SessionIds(List.of(NEW_KEY, OLD_KEY));
        SessionIds newOnly = new SessionIds(List.of(NEW_KEY));
        String id = rotated.newId();

        String value = rotated.sign(id);
        assertNotEquals(before.sign(id), value);
        assertEquals(Optional.of(id), newOnly.verify(value));
        assertEquals(Optional.empty(), before.verify(value), "a value signed with the new key verified with the old");
    }

    @Test
    void verify_valueSignedWithRemovedKey_isRejected() {
        SessionIds before = new SessionIds(List.of(OLD_KEY));
        SessionIds afterRemoval = new SessionIds(List.of(NEW_KEY));
        String id = before.newId();

        assertEquals(Optional.empty(), afterRemoval.verify(before.sign(id)));
    }

    @Test
    void verify_tamperedId_isRejected() {
        String id = ids.newId();
        String value = ids.sign(id);
        for (int i = 0; i < 47; i++) {
            String tampered = replaceAt(value, i, other(value.charAt(i)));
            assertEquals(Optional.empty(), ids.verify(tampered), "id char " + i + " changed: " + tampered);
        }
    }

    @Test
    void verify_tamperedMac_isRejected() {
        String id = ids.newId();
        String value = ids.sign(id);
        for (int i = 48; i < value.length(); i++) {
            String tampered = replaceAt(value, i, other(value.charAt(i)));
            assertEquals(Optional.empty(), ids.verify(tampered), "MAC char " + i + " changed: " + tampered);
        }
    }

    /**
     * The MAC is 32 bytes in 43 base64url characters, so its last character carries 2 unused bits. A decoder that
     * ignores them accepts four different cookie values for one id; only the canonical one is ever issued.
     */
    @Test
    void verify_macWithNonCanonicalLastCharacter_isRejected() {
        String id = ids.newId();
        String value = ids.sign(id);
        int last = value.length() - 1;
        int index = B64URL.indexOf(value.charAt(last));
        for (int lowBits = 1; lowBits < 4; lowBits++) {
            String variant = replaceAt(value, last, B64URL.charAt(index ^ lowBits));
            assertEquals(Optional.empty(), ids.verify(variant),
                    "a cookie value that was never issued verified: " + variant + " (issued: " + value + ")");
        }
    }

    @Test
    void verify_wrongLength_isRejected() {
        String value = ids.sign(ids.newId());
        assertEquals(Optional.empty(), ids.verify(value.substring(0, value.length() - 1)));
        assertEquals(Optional.empty(), ids.verify(value + "A"));
        assertEquals(Optional.empty(), ids.verify(value + "="));
        assertEquals(Optional.empty(), ids.verify(value.substring(1)));
        assertEquals(Optional.empty(), ids.verify(value.substring(0, 47)), "the bare id is not a cookie value");
    }

    @Test
    void verify_nonAsciiCharacter_isRejected() {
        String value = ids.sign(ids.newId());
        assertEquals(Optional.empty(), ids.verify(replaceAt(value, 10, 'é')));
        assertEquals(Optional.empty(), ids.verify(replaceAt(value, 60, 'é')));
        assertEquals(Optional.empty(), ids.verify(replaceAt(value, 20, '\u0000')));
        assertEquals(Optional.empty(), ids.verify(replaceAt(value, 70, '+')), "standard (non-URL) base64 char");
        assertEquals(Optional.empty(), ids.verify(replaceAt(value, 71, '/')), "standard (non-URL) base64 char");
    }

    @Test
    void verify_nullOrEmpty_isRejected() {
        assertEquals(Optional.empty(), ids.verify(null));
        assertEquals(Optional.empty(), ids.verify(""));
        assertEquals(Optional.empty(), ids.verify("."));
    }

    @Test
    void verify_8KbValue_isRejected() {
        String value = ids.sign(ids.newId());
        assertEquals(Optional.empty(), ids.verify(value.repeat(8192 / value.length() + 1)));
        assertEquals(Optional.empty(), ids.verify("A".repeat(8192)));
    }

    @Test
    void verify_valueWithDotMoved_isRejected() {
        String value = ids.sign(ids.newId());
        String withoutDot = value.substring(0, 47) + value.substring(48);
        for (int pos : new int[] {0, 4, 46, 48, 90}) {
            String moved = withoutDot.substring(0, pos) + "." + withoutDot.substring(pos);
            assertEquals(value.length(), moved.length());
            if (!moved.equals(value)) {
                assertEquals(Optional.empty(), ids.verify(moved), "dot at " + pos + ": " + moved);
            }
        }
        assertEquals(Optional.empty(), ids.verify(replaceAt(value, 60, '.')), "two dots");
    }

    // ---- store keys -----------------------------------------------------------------------------------------

    @Test
    void keyOf_isStableAcrossInstancesWithTheSameLastSecret_evenWhenTheSigningKeyDiffers() {
        SessionIds a = new SessionIds(List.of(OLD_KEY, ANCHOR_KEY));
        SessionIds b = new SessionIds(List.of(NEW_KEY, ANCHOR_KEY));
        SessionIds c = new SessionIds(List.of(NEW_KEY, OLD_KEY, ANCHOR_KEY));
        SessionIds anchorOnly = new SessionIds(List.of(ANCHOR_KEY));
        for (int i = 0; i < 50; i++) {
            String id = a.newId();
            SessionKey key = a.keyOf(id);
            assertEquals(key, b.keyOf(id));
            assertEquals(key, c.keyOf(id));
            assertEquals(key, anchorOnly.keyOf(id));
            assertEquals(key, new SessionIds(List.of(OLD_KEY, ANCHOR_KEY)).keyOf(id), "not stable across instances");
        }
    }

    @Test
    void keyOf_dependsOnTheLastSecret() {
        SessionIds a = new SessionIds(List.of(OLD_KEY, ANCHOR_KEY));
        SessionIds other = new SessionIds(List.of(OLD_KEY, NEW_KEY));
        String id = a.newIdFor(a.userRef("alice"));
        assertEquals(a.userRef("alice").tag(), a.keyOf(id).tag(), "alice's slot");
        // Another anchoring secret finds neither the key nor the slot: both come from the last secret (the slot tag
        // is masked with a key derived from it).
        assertNotEquals(a.keyOf(id).hash(), other.keyOf(id).hash());
        assertNotEquals(a.keyOf(id).tag(), other.keyOf(id).tag());
    }

    @Test
    void keyOf_differsForDifferentIdsWithTheSameTag() {
        String id = ids.newId();
        Set<String> hashes = new HashSet<>();
        hashes.add(ids.keyOf(id).hash());
        for (int i = 0; i < 100; i++) {
            assertTrue(hashes.add(ids.keyOf(ids.rotate(id)).hash()), "hash collision");
        }
    }

    @Test
    void keyOf_neverContainsTheIdOrAnyEightCharPieceOfItsRandomPart() {
        for (int n = 0; n < 300; n++) {
            String id = ids.newId();
            SessionKey key = ids.keyOf(id);
            String everything = key.tag() + "|" + key.hash() + "|" + key + "|" + key.shortHash();
            assertFalse(everything.contains(id));
            String random = id.substring(4);
            for (int i = 0; i + 8 <= random.length(); i++) {
                String piece = random.substring(i, i + 8);
                assertFalse(everything.contains(piece), "key " + everything + " contains '" + piece + "' of " + id);
            }
            assertTrue(key.hash().matches("[A-Za-z0-9_-]{16}"), "hash is not 16 URL-safe chars: " + key.hash());
        }
    }

    @Test
    void keyOf_hashIs96BitsIn16Characters_withoutPadding() {
        for (int n = 0; n < 200; n++) {
            String hash = ids.keyOf(ids.newId()).hash();
            assertEquals(16, hash.length(), hash);
            assertEquals(12, java.util.Base64.getUrlDecoder().decode(hash).length, "96 bits: " + hash);
        }
    }

    @Test
    void keyOf_toStringShowsOnlyTheShortHash() {
        String id = ids.newId();
        SessionKey key = ids.keyOf(id);
        assertEquals("session#" + key.hash().substring(0, 8), key.toString());
    }

    // ---- rotation -------------------------------------------------------------------------------------------

    @Test
    void rotate_keepsTheSlotTag_andChangesEverythingTheIdShows() {
        for (int n = 0; n < 200; n++) {
            String id = ids.newId();
            String rotated = ids.rotate(id);
            assertTrue(URL_SAFE_47.matcher(rotated).matches(), rotated);
            assertEquals(ids.keyOf(id).tag(), ids.keyOf(rotated).tag());
            assertNotEquals(id.substring(4), rotated.substring(4));
            assertEquals(Optional.of(rotated), ids.verify(ids.sign(rotated)));
        }
    }

    @Test
    void keyOf_rotatedId_keepsTheTag_butNotTheHash() {
        String id = ids.newId();
        String rotated = ids.rotate(id);
        assertEquals(ids.keyOf(id).tag(), ids.keyOf(rotated).tag());
        assertNotEquals(ids.keyOf(id).hash(), ids.keyOf(rotated).hash());
    }

    /**
     * ASVS C7: the id carries no meaning. The user's slot tag is masked in the id with a keyed hash of the id's random
     * part, so ids of one user share nothing visible, none shows the user's tag (an unkeyed hash of the name, which
     * anyone could compute from a list of names), and only the secrets recover the slot.
     */
    @Test
    void idsOfOneUser_shareNoPrefix_neverShowTheUsersTag_andOnlyTheSecretsRecoverTheSlot() {
        UserRef alice = ids.userRef("alice");
        Set<String> prefixes = new HashSet<>();
        int showsTag = 0;
        SessionIds otherSecrets = new SessionIds(List.of("another-secret-0123456789abcdefghij".getBytes(StandardCharsets.US_ASCII)));
        int otherRecovers = 0;
        for (int i = 0; i < 200; i++) {
            String id = ids.newIdFor(alice);
            prefixes.add(id.substring(0, 4));
            showsTag += id.contains(alice.tag()) ? 1 : 0;
            assertEquals(alice.tag(), ids.keyOf(id).tag(), "the store still finds the user's slot");
            otherRecovers += otherSecrets.keyOf(id).tag().equals(alice.tag()) ? 1 : 0;
            assertEquals(alice.tag(), ids.keyOf(ids.rotate(id)).tag());
        }
        assertTrue(prefixes.size() > 190, "only " + prefixes.size() + " distinct prefixes in 200 ids of one user");
        assertTrue(showsTag <= 2, showsTag + " of 200 ids contain the user's tag");
        assertTrue(otherRecovers <= 2, "without the secrets the slot is a guess: " + otherRecovers + " of 200");
        // The masked id is still 47 URL-safe characters, signed and verified as before.
        String id = ids.newIdFor(alice);
        assertTrue(URL_SAFE_47.matcher(id).matches(), id);
        assertEquals(Optional.of(id), ids.verify(ids.sign(id)));
    }

    @Test
    void newToken_isUrlSafe_andUnique() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String t = ids.newToken();
            assertTrue(t.matches("[A-Za-z0-9_-]{43}"), t);
            assertTrue(seen.add(t));
        }
    }

    // ---- user tags --------------------------------------------------------------------------------------------

    @Test
    void userTag_isStable_andIndependentOfTheSecrets() {
        String tag = SessionIds.userTag("alice");
        assertTrue(tag.matches("[A-Za-z0-9_-]{4}"), tag);
        assertEquals(tag, SessionIds.userTag("alice"));
        for (SessionIds any : List.of(ids, new SessionIds(List.of(NEW_KEY)), new SessionIds(List.of(NEW_KEY, OLD_KEY)),
                new SessionIds(List.of(OLD_KEY, ANCHOR_KEY)))) {
            assertEquals(tag, any.userRef("alice").tag(), "the user's tag moved with the secrets");
            assertEquals("alice", any.userRef("alice").username());
            assertEquals(tag, any.keyOf(any.newIdFor(any.userRef("alice"))).tag());
        }
        assertNotEquals(tag, SessionIds.userTag("bob"));
        assertNotEquals(tag, SessionIds.userTag("Alice"));
    }

    @Test
    void userTag_isTheFirst24BitsOfTheUnkeyedSha256OfTheName() throws Exception {
        for (String name : List.of("alice", "bob", "émile", "")) {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(("user/" + name).getBytes(StandardCharsets.UTF_8));
            String expected = java.util.Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(new byte[] {digest[0], digest[1], digest[2]});
            assertEquals(expected, SessionIds.userTag(name), name);
        }
    }

    @Test
    void userTag_spreadsUsersOverManyTags() {
        Set<String> tags = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            tags.add(SessionIds.userTag("user" + i));
        }
        assertTrue(tags.size() > 190, "only " + tags.size() + " distinct tags for 200 users");
    }

    // ---- CSRF tokens ----------------------------------------------------------------------------------------

    @Test
    void csrfToken_isStableForAnId_andUrlSafe256Bits() {
        String id = ids.newId();
        String token = ids.csrfToken(id);
        assertTrue(token.matches("[A-Za-z0-9_-]{43}"), token);
        assertEquals(token, ids.csrfToken(id));
        assertEquals(token, new SessionIds(List.of(OLD_KEY)).csrfToken(id), "not stable across instances");
        assertFalse(token.contains(id.substring(4, 12)));
    }

    @Test
    void csrfToken_differsPerId_includingARotatedIdWithTheSameTag() {
        Set<String> tokens = new HashSet<>();
        String id = ids.newId();
        assertTrue(tokens.add(ids.csrfToken(id)));
        for (int i = 0; i < 200; i++) {
            assertTrue(tokens.add(ids.csrfToken(ids.rotate(id))), "two ids share a CSRF token");
            assertTrue(tokens.add(ids.csrfToken(ids.newId())), "two ids share a CSRF token");
        }
    }

    @Test
    void csrfToken_differsPerSecret_andFollowsTheLastSecretLikeTheStoreKey() {
        String id = ids.newId();
        SessionIds otherSecret = new SessionIds(List.of(NEW_KEY));
        assertNotEquals(ids.csrfToken(id), otherSecret.csrfToken(id), "the token must need the secret");
        // Anchored like the store key: adding a new signing key in front does not change the tokens clients hold.
        assertEquals(ids.csrfToken(id), new SessionIds(List.of(NEW_KEY, OLD_KEY)).csrfToken(id));
        assertNotEquals(ids.csrfToken(id), new SessionIds(List.of(OLD_KEY, NEW_KEY)).csrfToken(id));
    }

    @Test
    void csrfToken_isNeitherTheCookieMacNorTheStoreKeyNorARandomToken() {
        String id = ids.newId();
        String token = ids.csrfToken(id);
        String cookieValue = ids.sign(id);
        assertNotEquals(cookieValue.substring(48), token, "the token would reveal the cookie's MAC");
        assertFalse(token.startsWith(ids.keyOf(id).hash()), "the token would reveal the store key");
        assertNotEquals(ids.opaque(id), token);
        assertNotEquals(token, ids.newToken());
    }

    @Test
    void opaque_isStableAndKeyed_andNeverContainsTheText() {
        SessionIds same = new SessionIds(List.of(NEW_KEY, OLD_KEY));
        SessionIds otherAnchor = new SessionIds(List.of(NEW_KEY));
        assertEquals(ids.opaque("alice"), same.opaque("alice"));
        assertNotEquals(ids.opaque("alice"), ids.opaque("bob"));
        assertNotEquals(ids.opaque("alice"), otherAnchor.opaque("alice"));
        assertFalse(ids.opaque("alice").contains("alice"));
    }
}
