package org.redsession.baseline;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Accounts in memory, hashed with PBKDF2-HMAC-SHA512 like the product (iterations from
 * SECURITY_PASSWORD_HASH_ITERATIONS, default 210000). The bootstrap admin comes from APP_BOOTSTRAP_ADMIN_USERNAME /
 * APP_BOOTSTRAP_ADMIN_PASSWORD.
 */
@ApplicationScoped
public class Users {
    /** One account. */
    public record Account(String username, byte[] salt, byte[] hash, Set<String> roles) {
    }

    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private int iterations;

    @PostConstruct
    void init() {
        iterations = Integer.parseInt(env("SECURITY_PASSWORD_HASH_ITERATIONS", "210000"));
        String adminPassword = env("APP_BOOTSTRAP_ADMIN_PASSWORD", "");
        if (!adminPassword.isEmpty()) {
            create(env("APP_BOOTSTRAP_ADMIN_USERNAME", "admin"), adminPassword, Set.of("admin"));
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    /** Creates an account; false if the name is taken. */
    public boolean create(String username, String password, Set<String> roles) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        return accounts.putIfAbsent(username, new Account(username, salt, hash(password, salt), Set.copyOf(roles))) == null;
    }

    /** The account if the password matches. */
    public Account check(String username, String password) {
        Account a = accounts.get(username);
        byte[] salt = a == null ? new byte[16] : a.salt();
        byte[] computed = hash(password, salt); // same cost for unknown users
        return a != null && MessageDigest.isEqual(computed, a.hash()) ? a : null;
    }

    private byte[] hash(String password, byte[] salt) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 512);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
