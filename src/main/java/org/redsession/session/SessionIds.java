package org.redsession.session;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Session ids, their signed cookie form and their store keys.
 *
 * <p>An id is 4 characters of masked slot tag plus 256 bits from {@link SecureRandom}, base64url (47 characters).
 * The slot tag (24 bits: the user's for a signed-in session, the creating client's for an anonymous one) routes the
 * session's keys in Redis Cluster; in the id it is masked, XORed with a keyed hash of the id's random part, so the
 * id reads as random bytes only: two ids of one user share nothing, and nobody without the secrets can tell whose an
 * id is (ASVS: the id carries no meaning). {@link #keyOf} unmasks it. The cookie value is {@code <id>.<HMAC-SHA-256(signing key, id)>}: the first configured secret signs, every secret
 * verifies, so keys can be rotated by putting a new one first. A value that is malformed, oversized or wrongly
 * signed is rejected here, without any store access. The store key is a keyed hash of the id derived from the
 * <em>last</em> listed secret, so rotating the signing key does not move sessions. Thread-safe.
 */
public final class SessionIds {
    /** Longest cookie value ever issued; anything longer is rejected before parsing. */
    public static final int MAX_COOKIE_LENGTH = 47 + 1 + 43;

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final int TAG_LENGTH = 4;
    private static final int ID_LENGTH = TAG_LENGTH + 43;

    private final SecureRandom random = new SecureRandom();
    private final List<Hmac> signingKeys;
    private final Hmac hashKey;
    private final Hmac maskKey;

    /**
     * @param secrets HMAC secrets, at least one; the first signs, all verify, the last anchors store keys
     */
    public SessionIds(List<byte[]> secrets) {
        Objects.requireNonNull(secrets, "secrets");
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("secrets must not be empty");
        }
        List<Hmac> keys = new ArrayList<>();
        for (byte[] secret : secrets) {
            keys.add(new Hmac(new Hmac(secret).mac("redsession/cookie-signing/v1".getBytes(StandardCharsets.US_ASCII))));
        }
        this.signingKeys = List.copyOf(keys);
        this.hashKey = new Hmac(new Hmac(secrets.get(secrets.size() - 1))
                .mac("redsession/store-key/v1".getBytes(StandardCharsets.US_ASCII)));
        this.maskKey = new Hmac(new Hmac(secrets.get(secrets.size() - 1))
                .mac("redsession/tag-mask/v1".getBytes(StandardCharsets.US_ASCII)));
    }

    /** An id in slot {@code tag} with this random part: the tag masked by a keyed hash of the random part. */
    private String withTag(String tag, String random) {
        return B64.encodeToString(xorMask(Base64.getUrlDecoder().decode(tag), random)) + random;
    }

    /** The slot tag of an id (unmasked). */
    private String tagOf(String id) {
        return B64.encodeToString(xorMask(Base64.getUrlDecoder().decode(id.substring(0, TAG_LENGTH)),
                id.substring(TAG_LENGTH)));
    }

    private byte[] xorMask(byte[] tag, String random) {
        byte[] mask = maskKey.mac(random.getBytes(StandardCharsets.US_ASCII));
        byte[] out = new byte[tag.length];
        for (int i = 0; i < tag.length; i++) {
            out[i] = (byte) (tag[i] ^ mask[i]);
        }
        return out;
    }

    /** A fresh id with a fresh slot tag. */
    public String newId() {
        byte[] tag = new byte[3];
        random.nextBytes(tag);
        return withTag(B64.encodeToString(tag), randomPart());
    }

    /** A fresh id that keeps the slot tag of {@code id}, used when a session's id is rotated. */
    public String rotate(String id) {
        return withTag(tagOf(id), randomPart());
    }

    /**
     * A fresh id in the slot bucket of a user: every signed-in session of one user shares its tag with the user's
     * session index and revocation marker, so a single script can update them together (also in Redis Cluster).
     */
    public String newIdFor(UserRef user) {
        return withTag(user.tag(), randomPart());
    }

    /**
     * A fresh id in a given slot bucket, e.g. the bucket of the client that creates an anonymous session, so the
     * session and the client's creation counter can be updated together (also in Redis Cluster).
     */
    public String newIdIn(String tag) {
        if (tag.length() != TAG_LENGTH) {
            throw new IllegalArgumentException("a slot tag has " + TAG_LENGTH + " characters");
        }
        return withTag(tag, randomPart());
    }

    /** The store reference of a client address (bucket): its slot tag (24 bits) and a 96-bit keyed hash. */
    public ClientRef clientRef(String address) {
        byte[] digest = hashKey.mac(("client/" + address).getBytes(StandardCharsets.UTF_8));
        byte[] rest = new byte[12];
        System.arraycopy(digest, 3, rest, 0, rest.length);
        return new ClientRef(B64.encodeToString(new byte[] {digest[0], digest[1], digest[2]}), B64.encodeToString(rest));
    }

    /** The store reference of a user: the user's slot tag ({@link #userTag}) and name. */
    public UserRef userRef(String username) {
        return new UserRef(userTag(username), username);
    }

    /**
     * The slot tag of a user: 24 bits of SHA-256 of the name, not keyed, so it does not move when the secrets change.
     * The user's account, session index and signed-in sessions all carry it, so one script can update them together
     * (also in Redis Cluster), and accounts spread over the whole cluster. It tells nothing that the account key,
     * which holds the name, does not; in session ids it is masked (see the class comment).
     */
    public static String userTag(String username) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(("user/" + username).getBytes(StandardCharsets.UTF_8));
            return B64.encodeToString(new byte[] {digest[0], digest[1], digest[2]});
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private String randomPart() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return B64.encodeToString(bytes);
    }

    /** The cookie value for an id. */
    public String sign(String id) {
        return id + "." + B64.encodeToString(signingKeys.get(0).mac(id.getBytes(StandardCharsets.US_ASCII)));
    }

    /**
     * The id carried by a cookie value, if the value is well-formed and signed by one of the configured keys.
     *
     * @param cookieValue the raw value, may be null
     * @return the id, or empty for anything else
     */
    public Optional<String> verify(String cookieValue) {
        if (cookieValue == null || cookieValue.length() != MAX_COOKIE_LENGTH || cookieValue.charAt(ID_LENGTH) != '.') {
            return Optional.empty();
        }
        for (int i = 0; i < cookieValue.length(); i++) {
            char c = cookieValue.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || (i == ID_LENGTH);
            if (!ok) {
                return Optional.empty();
            }
        }
        String id = cookieValue.substring(0, ID_LENGTH);
        // Compare the text as issued (not decoded bytes): base64 ignores the spare bits of the last character, so
        // decoding would accept several spellings of one MAC.
        byte[] presented = cookieValue.substring(ID_LENGTH + 1).getBytes(StandardCharsets.US_ASCII);
        byte[] data = id.getBytes(StandardCharsets.US_ASCII);
        boolean valid = false;
        for (Hmac key : signingKeys) {
            // Check every key (no early exit) so timing does not tell which key matched.
            valid |= MessageDigest.isEqual(B64.encodeToString(key.mac(data)).getBytes(StandardCharsets.US_ASCII), presented);
        }
        return valid ? Optional.of(id) : Optional.empty();
    }

    /** The store key of an id: its slot tag (unmasked) and 96 bits of a keyed hash (16 characters). */
    public SessionKey keyOf(String id) {
        byte[] digest = hashKey.mac(id.getBytes(StandardCharsets.US_ASCII));
        byte[] truncated = new byte[12];
        System.arraycopy(digest, 0, truncated, 0, truncated.length);
        return new SessionKey(tagOf(id), B64.encodeToString(truncated));
    }

    /** A random URL-safe token of 256 bits. */
    public String newToken() {
        return randomPart();
    }

    /**
     * The CSRF token of a session id: an HMAC of the id (the "HMAC synchronizer token" of the OWASP CSRF cheat
     * sheet), so it is not stored, cannot be computed without the secrets, and changes whenever the id does.
     */
    public String csrfToken(String id) {
        return B64.encodeToString(hashKey.mac(("csrf/" + id).getBytes(StandardCharsets.US_ASCII)));
    }

    /** A keyed, stable hash of any text (e.g. a user name) for use in store keys; never reversible. */
    public String opaque(String text) {
        byte[] digest = hashKey.mac(("opaque/" + text).getBytes(StandardCharsets.UTF_8));
        byte[] truncated = new byte[12];
        System.arraycopy(digest, 0, truncated, 0, truncated.length);
        return B64.encodeToString(truncated);
    }

    /**
     * HMAC-SHA-256 with one key. Looking up and initialising a {@link Mac} costs far more than computing a MAC, so each
     * thread keeps an initialised instance per key ({@code doFinal} resets it for the next use).
     */
    private static final class Hmac {
        private final SecretKeySpec key;
        private final ThreadLocal<Mac> perThread;

        Hmac(byte[] secret) {
            this.key = new SecretKeySpec(secret, "HmacSHA256");
            this.perThread = ThreadLocal.withInitial(this::newMac);
            newMac(); // fail at construction, not on first use, if HmacSHA256 is missing
        }

        private Mac newMac() {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        }

        byte[] mac(byte[] data) {
            return perThread.get().doFinal(data);
        }
    }
}
