package org.redsession.session;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * One session as one request sees it: the fields loaded from the store plus this request's changes, which are
 * written at the end of the request (or earlier, by {@link RequestSession#increment}).
 *
 * <p>Write policy: an attribute is written when {@code setAttribute} or {@code removeAttribute} is called for it;
 * nothing else is written. <strong>Changing an object obtained from {@code getAttribute} without calling
 * {@code setAttribute} again is not persisted.</strong> Two requests that change different attributes both
 * persist; for the same attribute the last writer wins, except through the atomic {@link
 * RequestSession#increment}. Instances are used by one request; methods are synchronized for async servlets.
 */
public final class SessionState {
    private static final Logger LOG = Logger.getLogger(SessionState.class.getName());

    private final SessionManager manager;
    private final boolean isNew;
    private final long createdAt;
    private final long absoluteDeadline;
    private final long storedLastAccess;
    private final long now;
    private final Map<String, String> stored;
    private final Map<String, String> set = new LinkedHashMap<>();
    private final Set<String> remove = new LinkedHashSet<>();
    private final Map<String, Long> increments = new LinkedHashMap<>();
    private final Map<String, Object> decoded = new HashMap<>();
    private final Set<String> unreadable = new HashSet<>();
    private String id;
    private SessionKey key;
    private SessionKey retiredKey;
    private boolean persisted;
    private boolean invalidated;
    private boolean accessed;
    private boolean forceTouch;

    /** A session that exists in the store. */
    SessionState(SessionManager manager, String id, SessionKey key, Map<String, String> stored, long now) {
        this.manager = manager;
        this.id = id;
        this.key = key;
        this.stored = new HashMap<>(stored);
        this.isNew = false;
        this.persisted = true;
        this.now = now;
        this.createdAt = longField(stored, Fields.CREATED, now);
        this.storedLastAccess = longField(stored, Fields.LAST_ACCESS, createdAt);
        this.absoluteDeadline = longField(stored, Fields.ABSOLUTE_DEADLINE, createdAt + manager.policy().absoluteTimeout().toMillis());
    }

    /** A session created by this request. */
    SessionState(SessionManager manager, String id, SessionKey key, long now) {
        this.manager = manager;
        this.id = id;
        this.key = key;
        this.stored = new HashMap<>();
        this.isNew = true;
        this.now = now;
        this.createdAt = now;
        this.storedLastAccess = now;
        this.absoluteDeadline = now + manager.policy().absoluteTimeout().toMillis();
        // Only what cannot be derived is stored: the absolute deadline follows from the creation time, and the idle
        // timeout is the configured one (anonymous until someone signs in) unless the application sets another.
        set.put(Fields.CREATED, Long.toString(createdAt));
    }

    /** How far in the future a stored creation time may be (clocks of instances differ) before it is impossible. */
    private static final long MAX_CLOCK_SKEW_MS = 5 * 60_000;

    /**
     * Why a stored session's metadata cannot be trusted, or null when it can: a missing or unreadable creation time
     * or deadline, a creation time in the future, a deadline before the creation, or an unreadable last access,
     * absolute deadline, sign-in time or idle timeout. Such a session is ended, never read as created now (which would
     * renew its absolute lifetime on every load).
     */
    static String damage(Map<String, String> stored, long now) {
        Long created = parse(stored.get(Fields.CREATED));
        if (created == null) {
            return "no readable creation time";
        }
        if (created <= 0 || created > now + MAX_CLOCK_SKEW_MS) {
            return "creation time out of range";
        }
        Long deadline = parse(stored.get(Fields.DEADLINE));
        if (deadline == null) {
            return "no readable deadline";
        }
        if (deadline < created) {
            return "deadline before creation";
        }
        for (String name : new String[] {Fields.LAST_ACCESS, Fields.ABSOLUTE_DEADLINE, Fields.AUTH_TIME}) {
            String v = stored.get(name);
            if (v != null && (parse(v) == null || parse(v) <= 0)) {
                return "unreadable " + name;
            }
        }
        String idle = stored.get(Fields.MAX_INACTIVE);
        if (idle != null && (parse(idle) == null || Math.abs(parse(idle)) > Integer.MAX_VALUE)) {
            return "unreadable " + Fields.MAX_INACTIVE;
        }
        return null;
    }

    private static Long parse(String v) {
        try {
            return v == null ? null : Long.valueOf(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static long longField(Map<String, String> fields, String name, long fallback) {
        try {
            String v = fields.get(name);
            return v == null ? fallback : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** The raw session id: goes into the cookie only, never into logs or the store. */
    public synchronized String id() {
        return id;
    }

    public synchronized SessionKey key() {
        return key;
    }

    /** True while the session has not yet been stored (created by this request). */
    public boolean isNew() {
        return isNew;
    }

    public long createdAt() {
        return createdAt;
    }

    /** The last access recorded before this request (epoch ms), or the creation time for a new session. */
    public long lastAccessedAt() {
        return storedLastAccess;
    }

    public long absoluteDeadline() {
        return absoluteDeadline;
    }

    /** Idle deadline if the session is not used again after this request. */
    public synchronized long idleDeadline() {
        long lastAccess = accessed || isNew || isDirty() ? now : storedLastAccess;
        return Math.min(lastAccess + maxInactiveSeconds() * 1000L, absoluteDeadline);
    }

    public synchronized int maxInactiveSeconds() {
        String v = field(Fields.MAX_INACTIVE);
        try {
            return v == null ? defaultMaxInactiveSeconds() : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return defaultMaxInactiveSeconds();
        }
    }

    /** The configured idle timeout: the anonymous one until someone signs in to the session. */
    private int defaultMaxInactiveSeconds() {
        Duration d = identity().isPresent() ? manager.policy().idleTimeout() : manager.policy().anonymousIdleTimeout();
        return (int) d.toSeconds();
    }

    /**
     * Sets the idle timeout of this session. Every session expires: zero or a negative value (which the Servlet API
     * uses for "never") means the configured idle timeout.
     */
    public synchronized void setMaxInactiveSeconds(int seconds) {
        checkValid();
        if (seconds <= 0 || seconds == defaultMaxInactiveSeconds()) {
            removeField(Fields.MAX_INACTIVE);
        } else {
            putField(Fields.MAX_INACTIVE, Integer.toString(seconds));
        }
    }

    /** Marks the session as used by this request, so its idle deadline is refreshed (at most once per touch interval). */
    public synchronized void markAccessed() {
        accessed = true;
    }

    /** Refreshes the idle deadline at the end of this request, whatever the touch interval. */
    public synchronized void touch() {
        checkValid();
        accessed = true;
        forceTouch = true;
    }

    public synchronized boolean isInvalidated() {
        return invalidated;
    }

    synchronized void markInvalidated() {
        invalidated = true;
    }

    // ---- identity -------------------------------------------------------------------------------------------

    public synchronized Optional<SessionIdentity> identity() {
        String user = field(Fields.USER);
        if (user == null) {
            return Optional.empty();
        }
        String roles = field(Fields.ROLES);
        Set<String> roleSet = roles == null || roles.isEmpty() ? Set.of() : new TreeSet<>(Arrays.asList(roles.split(",")));
        return Optional.of(new SessionIdentity(user, roleSet));
    }

    /**
     * The CSRF token, or null when the session has none (anonymous sessions). It is derived from the session id
     * ({@link SessionIds#csrfToken}), so it is not stored; only a token kept across an id rotation is.
     */
    public synchronized String csrfToken() {
        if (identity().isEmpty()) {
            return null;
        }
        String kept = field(Fields.CSRF);
        return kept != null ? kept : manager.ids().csrfToken(id);
    }

    /** The time of the last sign-in (epoch ms); stored only when it differs from the creation time. 0 if anonymous. */
    public synchronized long authTime() {
        if (identity().isEmpty()) {
            return 0;
        }
        return longField(Fields.AUTH_TIME, createdAt);
    }

    private long longField(String name, long fallback) {
        String v = field(name);
        try {
            return v == null ? fallback : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /**
     * Signs the session in.
     *
     * @param keepCsrfToken keep the token the session had before this request's id rotation (see {@link #rotate});
     *                      otherwise the token is the one derived from the new id
     */
    synchronized void setIdentity(SessionIdentity identity, boolean keepCsrfToken, long authTime) {
        if (identity().isEmpty() && field(Fields.MAX_INACTIVE) != null) {
            // Signing in to an anonymous session: from now on the signed-in idle timeout applies.
            removeField(Fields.MAX_INACTIVE);
        }
        putField(Fields.USER, identity.username());
        putField(Fields.ROLES, String.join(",", new TreeSet<>(identity.roles())));
        if (!keepCsrfToken) {
            removeField(Fields.CSRF);
        }
        if (authTime != createdAt) {
            putField(Fields.AUTH_TIME, Long.toString(authTime));
        } else {
            removeField(Fields.AUTH_TIME);
        }
    }

    /**
     * Longest User-Agent kept (UTF-8 bytes). Redis keeps a hash whose values are all at most 64 bytes
     * ({@code hash-max-listpack-value}) as a compact listpack; one longer value (a browser's User-Agent is 100-130
     * bytes) turns it into a hash table and roughly triples the session's memory.
     */
    static final int MAX_USER_AGENT_BYTES = 64;

    /** Records the client of the sign-in (shown in "my sessions"); null values are left out. */
    synchronized void setClient(String ipAddress, String userAgent) {
        if (ipAddress != null) {
            putField(Fields.IP_ADDRESS, ipAddress);
        }
        if (userAgent != null) {
            putField(Fields.USER_AGENT, truncateUtf8(userAgent, MAX_USER_AGENT_BYTES));
        }
    }

    // ---- attributes -----------------------------------------------------------------------------------------

    /** The attribute's value, or null; an unreadable stored value is left out of the view (logged once). */
    public synchronized Object getAttribute(String name) {
        checkValid();
        String f = Fields.attribute(name);
        if (decoded.containsKey(f)) {
            return decoded.get(f);
        }
        String raw = field(f);
        if (raw == null || unreadable.contains(f)) {
            return null;
        }
        try {
            Object value = manager.codec().decode(raw);
            decoded.put(f, value);
            return value;
        } catch (AttributeCodec.UnreadableAttributeException e) {
            unreadable.add(f);
            LOG.warning(() -> "Attribute of " + key + " left out: unreadable stored value (" + e.getMessage() + ")");
            manager.events().attributeQuarantined();
            return null;
        }
    }

    public synchronized Set<String> getAttributeNames() {
        checkValid();
        Set<String> names = new TreeSet<>();
        for (String f : allFieldNames()) {
            if (f.startsWith(Fields.ATTRIBUTE_PREFIX)) {
                String name = f.substring(Fields.ATTRIBUTE_PREFIX.length());
                if (getAttribute(name) != null) {
                    names.add(name);
                }
            }
        }
        return Collections.unmodifiableSet(names);
    }

    /**
     * Sets an attribute (null removes it).
     *
     * @throws IllegalArgumentException if the value's type may not be stored
     * @throws SessionTooLargeException if the value, or the session with it, would exceed a configured cap
     */
    public synchronized void setAttribute(String name, Object value) {
        checkValid();
        if (name == null) {
            throw new IllegalArgumentException("name must not be null");
        }
        if (value == null) {
            removeAttribute(name);
            return;
        }
        String encoded = manager.codec().encode(value);
        int size = encoded.getBytes(StandardCharsets.UTF_8).length;
        if (size > manager.policy().maxAttributeBytes()) {
            throw new SessionTooLargeException("A session attribute may hold at most " + manager.policy().maxAttributeBytes()
                    + " bytes; this one is " + size + " bytes");
        }
        String f = Fields.attribute(name);
        if (!allFieldNames().contains(f) && attributeCount() >= manager.policy().maxAttributes()) {
            throw new SessionTooLargeException("A session may hold at most " + manager.policy().maxAttributes()
                    + " attributes");
        }
        String pendingValue = set.get(f);
        boolean pendingRemoval = remove.contains(f);
        putField(f, encoded);
        if (totalBytes() > manager.policy().maxSessionBytes()) {
            // Put back exactly what was pending before, so a refused value never causes a write.
            set.remove(f);
            if (pendingValue != null) {
                set.put(f, pendingValue);
            }
            if (pendingRemoval) {
                remove.add(f);
            }
            throw new SessionTooLargeException("A session may hold at most " + manager.policy().maxSessionBytes()
                    + " bytes");
        }
        increments.remove(f);
        unreadable.remove(f);
        decoded.put(f, value);
    }

    public synchronized void removeAttribute(String name) {
        checkValid();
        String f = Fields.attribute(name);
        increments.remove(f);
        decoded.remove(f);
        unreadable.remove(f);
        removeField(f);
    }

    synchronized void addIncrement(String name, long delta) {
        checkValid();
        String f = Fields.attribute(name);
        increments.merge(f, delta, Long::sum);
        decoded.remove(f);
    }

    // ---- store bookkeeping ----------------------------------------------------------------------------------

    private String field(String f) {
        if (remove.contains(f)) {
            return null;
        }
        String v = set.get(f);
        return v != null ? v : stored.get(f);
    }

    private void putField(String f, String value) {
        remove.remove(f);
        set.put(f, value);
    }

    private void removeField(String f) {
        set.remove(f);
        if (stored.containsKey(f)) {
            remove.add(f);
        }
    }

    private Set<String> allFieldNames() {
        Set<String> all = new LinkedHashSet<>(stored.keySet());
        all.addAll(set.keySet());
        all.removeAll(remove);
        return all;
    }

    /** The longest prefix of {@code text} of at most {@code maxBytes} UTF-8 bytes (never splits a character). */
    static String truncateUtf8(String text, int maxBytes) {
        if (text.length() * 3 <= maxBytes || text.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
            return text;
        }
        int bytes = 0;
        int end = 0;
        while (end < text.length()) {
            int cp = text.codePointAt(end);
            int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + n > maxBytes) {
                break;
            }
            bytes += n;
            end += Character.charCount(cp);
        }
        return text.substring(0, end);
    }

    private int attributeCount() {
        int n = 0;
        for (String f : allFieldNames()) {
            if (f.startsWith(Fields.ATTRIBUTE_PREFIX)) {
                n++;
            }
        }
        return n;
    }

    private int totalBytes() {
        int total = 0;
        for (String f : allFieldNames()) {
            String v = field(f);
            total += f.length() + (v == null ? 0 : v.getBytes(StandardCharsets.UTF_8).length);
        }
        return total;
    }

    private void checkValid() {
        if (invalidated) {
            throw new IllegalStateException("The session has been invalidated");
        }
    }

    synchronized boolean isDirty() {
        return !set.isEmpty() || !remove.isEmpty() || !increments.isEmpty() || retiredKey != null;
    }

    /** Whether the session has something worth storing: an attribute or a signed-in user. */
    private boolean hasContent() {
        for (String f : allFieldNames()) {
            if (f.startsWith(Fields.ATTRIBUTE_PREFIX) || f.equals(Fields.USER)) {
                return true;
            }
        }
        return !increments.isEmpty();
    }

    synchronized void rotate(String newId, SessionKey newKey) {
        checkValid();
        if (identity().isPresent() && field(Fields.CSRF) == null) {
            // The client holds the token derived from the old id: it stays valid (stored from now on).
            putField(Fields.CSRF, manager.ids().csrfToken(id));
        }
        if (persisted && retiredKey == null) {
            retiredKey = key;
        }
        id = newId;
        key = newKey;
    }

    /** The key under which the session currently exists in the store (the old key after a rotation), or null. */
    synchronized SessionKey storedKey() {
        if (retiredKey != null) {
            return retiredKey;
        }
        return persisted ? key : null;
    }

    /** True once the session exists in the store. */
    synchronized boolean wasStored() {
        return persisted;
    }

    /** True when the id is not the one the request came with (the cookie must be reissued). */
    synchronized boolean idChangedSinceLoad(String requestedId) {
        return !id.equals(requestedId);
    }

    /**
     * The write this request needs, or empty when nothing has to be written. A new session that received no
     * attribute and no sign-in is never stored.
     */
    synchronized Optional<SessionWrite> pendingWrite() {
        if (invalidated) {
            return Optional.empty();
        }
        boolean create = !persisted;
        if (create && !hasContent()) {
            return Optional.empty();
        }
        boolean touchDue = accessed
                && (forceTouch || now - storedLastAccess >= Math.min(manager.policy().touchInterval().toMillis(),
                        maxInactiveSeconds() * 500L));
        if (!create && !isDirty() && !touchDue) {
            return Optional.empty();
        }
        long ttl = Math.min(now + maxInactiveSeconds() * 1000L, absoluteDeadline) - now;
        if (ttl <= 0) {
            return Optional.empty();
        }
        UserRef user = identity().map(i -> manager.ids().userRef(i.username())).orElse(null);
        if (!create && retiredKey != null && !retiredKey.tag().equals(key.tag())) {
            // Moving to another slot (a sign-in into the user's slot): write every field under the new key, then
            // retire the old key separately.
            Map<String, String> all = new LinkedHashMap<>();
            for (String f : allFieldNames()) {
                all.put(f, field(f));
            }
            putLastAccess(all);
            return Optional.of(new SessionWrite(key, retiredKey, true, all, Set.of(), increments, ttl, user, authTime()));
        }
        Map<String, String> fields = new LinkedHashMap<>(set);
        putLastAccess(fields);
        return Optional.of(new SessionWrite(key, create ? null : retiredKey, create, fields, remove, increments, ttl,
                user, authTime()));
    }

    /** The last access is this request; not stored while it is the creation time (its default). */
    private void putLastAccess(Map<String, String> fields) {
        if (now == createdAt) {
            fields.remove(Fields.LAST_ACCESS);
        } else {
            fields.put(Fields.LAST_ACCESS, Long.toString(now));
        }
    }

    /** Records that {@link #pendingWrite()} was applied; returns to a clean state with the new values. */
    synchronized void written(Map<String, String> incrementedValues) {
        for (String f : remove) {
            stored.remove(f);
        }
        stored.putAll(set);
        putLastAccess(stored);
        stored.putAll(incrementedValues);
        set.clear();
        remove.clear();
        increments.clear();
        for (String f : incrementedValues.keySet()) {
            decoded.remove(f);
        }
        retiredKey = null;
        persisted = true;
        forceTouch = false;
        accessed = false;
    }
}
