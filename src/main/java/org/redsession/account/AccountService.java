package org.redsession.account;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.identitystore.Pbkdf2PasswordHash;

import org.redsession.config.AccountSettings;

/**
 * Creates user accounts and checks passwords. Only PBKDF2 hashes are stored. Checking an unknown user costs the
 * same hash computation as checking a wrong password, so response time does not reveal which names exist.
 */
@ApplicationScoped
public class AccountService {
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{2,63}");
    /** Shortest password accepted for new accounts. */
    public static final int MIN_PASSWORD_LENGTH = 12;
    /** Longest password accepted (bounds the hashing work an attacker can cause). */
    public static final int MAX_PASSWORD_LENGTH = 256;

    @Inject
    UserRepository users;
    @Inject
    Pbkdf2PasswordHash hasher;
    @Inject
    AccountSettings settings;
    @Inject
    PasswordHashing hashing;

    private String dummyHash;
    private Set<String> commonPasswords;

    @PostConstruct
    void init() {
        commonPasswords = loadCommonPasswords();
        Map<String, String> params = new HashMap<>();
        params.put("Pbkdf2PasswordHash.Algorithm", "PBKDF2WithHmacSHA512");
        params.put("Pbkdf2PasswordHash.Iterations", Integer.toString(settings.passwordHashIterations()));
        params.put("Pbkdf2PasswordHash.SaltSizeBytes", "16");
        params.put("Pbkdf2PasswordHash.KeySizeBytes", "32");
        hasher.initialize(params);
        dummyHash = hasher.generate("not a password of anyone".toCharArray());
    }

    /**
     * Checks a user name and password, under the hashing bulkhead ({@link PasswordHashing}).
     *
     * @return the user when both match; empty otherwise (unknown user or wrong password alike)
     * @throws PasswordHashingBusyException when hashing is saturated
     */
    public Optional<User> authenticate(String username, String password) {
        return hashing.call(() -> check(username, password));
    }

    private Optional<User> check(String username, String password) {
        if (username == null || password == null || password.length() > MAX_PASSWORD_LENGTH
                || username.length() > 64) {
            hasher.verify("x".toCharArray(), dummyHash);
            return Optional.empty();
        }
        Optional<User> user = users.find(username);
        String hash = user.map(User::passwordHash).orElse(dummyHash);
        boolean matches = hasher.verify(password.toCharArray(), hash);
        return matches ? user : Optional.empty();
    }

    /**
     * Creates an account.
     *
     * @return the new account, or empty if the name is taken
     * @throws InvalidAccountException if the name, password or roles break the rules
     */
    public Optional<User> create(String username, String password, Set<String> roles) {
        validateUsername(username);
        validatePassword(username, password);
        Set<String> granted = new LinkedHashSet<>(roles == null || roles.isEmpty() ? Set.of(Roles.USER) : roles);
        for (String role : granted) {
            if (!Roles.ALL.contains(role)) {
                throw new InvalidAccountException("Unknown role '" + role + "'; roles are " + Roles.ALL);
            }
        }
        granted.add(Roles.USER);
        String hash = hashing.call(() -> hasher.generate(password.toCharArray()));
        User user = new User(username, hash, granted, System.currentTimeMillis());
        return users.create(user) ? Optional.of(user) : Optional.empty();
    }

    public Optional<User> find(String username) {
        return users.find(username);
    }

    /** One page of accounts by name (see {@link UserRepository#page}). */
    public UserRepository.Page page(int limit, String after, String prefix) {
        return users.page(limit, after, prefix);
    }

    /** Moves accounts of an earlier storage layout to the current one. @return accounts moved */
    public int migrateLegacy() {
        return users.migrateLegacy();
    }

    /** The number of accounts, read without listing them. */
    public long count() {
        return users.count();
    }

    /**
     * The first half of a password change, the slow one: checks the current password and the new one's rules, and
     * hashes the new one. Nothing is written: {@link #setPasswordHash} does that, once the caller has made sure the
     * change is still wanted (its session still live).
     *
     * @return the change to store, or empty when the current password is wrong
     * @throws InvalidAccountException if the new password breaks the rules
     */
    public Optional<NewPassword> hashNewPassword(String username, String currentPassword, String newPassword) {
        return hashing.call(() -> {
            Optional<User> user = check(username, currentPassword);
            if (user.isEmpty()) {
                return Optional.empty();
            }
            validatePassword(username, newPassword);
            return Optional.of(new NewPassword(user.get().passwordHash(), hasher.generate(newPassword.toCharArray())));
        });
    }

    /**
     * A checked password change, not yet stored.
     *
     * @param checkedHash the stored hash the current password was checked against
     * @param hash        the new password's hash
     */
    public record NewPassword(String checkedHash, String hash) {
    }

    /**
     * The second half of a password change: stores a hash made by {@link #hashNewPassword}, only if the stored hash
     * is still the one the current password was checked against (of two concurrent changes, one wins; the other
     * finds {@link UserRepository.PasswordUpdate#CHANGED_MEANWHILE}).
     */
    public UserRepository.PasswordUpdate setPassword(String username, NewPassword change) {
        return users.updatePassword(username, change.checkedHash(), change.hash());
    }

    /** Deletes an account. @return false if there was none */
    public boolean delete(String username) {
        return users.delete(username);
    }

    private static Set<String> loadCommonPasswords() {
        try (var in = AccountService.class.getResourceAsStream("common-passwords.txt")) {
            if (in == null) {
                return Set.of();
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).map(l -> l.toLowerCase(Locale.ROOT))
                    .collect(Collectors.toUnmodifiableSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void validateUsername(String username) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw new InvalidAccountException("A user name has 3 to 64 characters: letters, digits and . _ @ -, "
                    + "starting with a letter or digit");
        }
    }

    void validatePassword(String username, String password) {
        if (password == null || password.codePointCount(0, password.length()) < MIN_PASSWORD_LENGTH) {
            throw new InvalidAccountException("A password has at least " + MIN_PASSWORD_LENGTH + " characters");
        }
        if (password.length() > MAX_PASSWORD_LENGTH) {
            throw new InvalidAccountException("A password has at most " + MAX_PASSWORD_LENGTH + " characters");
        }
        if (password.equalsIgnoreCase(username) || password.toLowerCase(Locale.ROOT).contains(username.toLowerCase(Locale.ROOT))) {
            throw new InvalidAccountException("The password must not contain the user name");
        }
        String lower = password.toLowerCase(Locale.ROOT);
        // Also a common password with digits or symbols added at the end ("password1234!").
        String base = lower.replaceAll("[^a-z]+$", "");
        if (commonPasswords.contains(lower) || (base.length() >= 4 && commonPasswords.contains(base))) {
            throw new InvalidAccountException("This password is too common; choose another");
        }
    }
}
