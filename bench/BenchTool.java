import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.redsession.session.SessionIds;
import org.redsession.session.SessionKey;
import org.redsession.session.UserRef;

/**
 * Helper of bench/benchmark.sh, bench/scale.sh and bench/scale-cluster.sh, run as a single-file program:
 * {@code java -cp <copy of target/classes> bench/BenchTool.java <command> ...}. It uses the product's own
 * {@link SessionIds} to compute ids, cookies and Redis keys exactly as the application does. It only ever talks to
 * the base URL it is given (the scripts pass http://127.0.0.1:PORT).
 *
 * <pre>
 * users BASE ADMIN ADMINPW PREFIX USERS PASSWORD [THREADS]
 *      creates users PREFIX00000.. through POST /api/admin/users (409 is fine)
 * signin BASE PREFIX USERS PER_USER PASSWORD OUT [THREADS]
 *      signs each user in PER_USER times; writes one line per session to OUT:
 *      "&lt;cookie name=value&gt;\t&lt;csrf token&gt;"
 * counters-http BASE SESSIONS          sum of attributes.counter over GET /api/session of every session
 * redis-keys SECRETS PREFIX SESSIONS    prints the Redis key of every session (one per line)
 * scale-gen SECRETS PREFIX USER_FROM USER_TO PER_USER NOW_MS IDLE_MS ABS_MS SAMPLE_OUT USER_AGENT
 *      writes RESP commands (for redis-cli --pipe; per cluster node with BENCH_SLOTS, see Sink) that store
 *      PER_USER signed-in sessions for each user scale-user-&lt;n&gt;, USER_FROM &lt;= n &lt; USER_TO, with the user's
 *      account, directory entry, expiry-index entries and counts, exactly as sign-ins store them
 * check BASE COOKIES                    GET /api/me with every cookie of the file; prints how many answered 200
 * accounts-gen KEY_PREFIX USER_PREFIX USERS PASSWORD ITERATIONS
 *      writes RESP commands (for redis-cli --pipe; per cluster node with BENCH_SLOTS) that store accounts
 *      USER_PREFIX00000.. (role user) exactly as POST /api/admin/users does (RedisUserRepository), all with one PBKDF2-HMAC-SHA512 hash of PASSWORD at ITERATIONS
 *      (the stored hash carries its iteration count, so checking it costs that many, whatever the server's setting)
 * burst BASE ADMIN ADMINPW USER PASSWORD PARALLEL SECONDS
 *      creates USER (through the API, so at the server's hashing cost), then for SECONDS fires waves of PARALLEL
 *      simultaneous sign-ins of USER; prints one JSON line: outcomes by status and error code, sign-in latency
 *      percentiles (ms) and how many live sessions USER has at the end (GET /api/admin/users/USER/sessions)
 * scale-probe BASE ADMIN ADMINPW USER PASSWORD LIST_N ROUNDS
 *      signs USER in 10 times, times LIST_N x GET /api/me/sessions, then ROUNDS x (sign in 10 times, time the
 *      admin's DELETE /api/admin/users/USER/sessions); prints one JSON line with the percentiles (ms)
 * expiring-gen SECRETS PREFIX USER_PREFIX USER_FROM USER_TO PER_USER NOW_MS FROM_MS TO_MS IDLE_MS ABS_MS USER_AGENT
 *      like scale-gen (same Sink, same format), for users USER_PREFIX&lt;n&gt; whose sessions' deadlines are spread evenly
 *      over [NOW_MS + FROM_MS, NOW_MS + TO_MS] (last used IDLE_MS before it): work for the expiry sweep
 * monitor-load STOP_FILE SECONDS OUT ADMIN ADMINPW BASE...
 *      every second, GET /metrics on each BASE and GET /api/admin/stats (as ADMIN) on one BASE in turn, until
 *      STOP_FILE exists or SECONDS passed; one line per request to OUT, a JSON summary (percentiles, ms) on stdout
 * window-stats OUT WINDOWS
 *      percentiles of monitor-load's OUT for the requests that overlap one of the windows of WINDOWS (lines
 *      "FROM_MS TO_MS", epoch ms) and for the others; one JSON line
 * </pre>
 */
public final class BenchTool {
    private static final Pattern CSRF = Pattern.compile("\"csrfToken\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern COUNTER = Pattern.compile("\"counter\"\\s*:\\s*(-?\\d+)");
    private static final Pattern ERROR = Pattern.compile("\"error\"\\s*:\\s*\"([^\"]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A signed-in session: the Cookie header value and its CSRF token. */
    record Session(String cookie, String csrf) {
    }

    public static void main(String[] a) throws Exception {
        if (a.length == 0) {
            throw new IllegalArgumentException("usage: see the class comment");
        }
        switch (a[0]) {
            case "users" -> users(a[1], a[2], a[3], a[4], Integer.parseInt(a[5]), a[6], a.length > 7 ? Integer.parseInt(a[7]) : 8);
            case "signin" -> signin(a[1], a[2], Integer.parseInt(a[3]), Integer.parseInt(a[4]), a[5], Path.of(a[6]),
                    a.length > 7 ? Integer.parseInt(a[7]) : 8);
            case "counters-http" -> countersHttp(a[1], Path.of(a[2]));
            case "redis-keys" -> redisKeys(a[1], a[2], Path.of(a[3]));
            case "scale-gen" -> scaleGen(a[1], a[2], Integer.parseInt(a[3]), Integer.parseInt(a[4]), Integer.parseInt(a[5]),
                    Long.parseLong(a[6]), Long.parseLong(a[7]), Long.parseLong(a[8]), Path.of(a[9]), a[10]);
            case "check" -> check(a[1], Path.of(a[2]));
            case "accounts-gen" -> accountsGen(a[1], a[2], Integer.parseInt(a[3]), a[4], Integer.parseInt(a[5]));
            case "burst" -> burst(a[1], a[2], a[3], a[4], a[5], Integer.parseInt(a[6]), Integer.parseInt(a[7]));
            case "scale-probe" -> scaleProbe(a[1], a[2], a[3], a[4], a[5], Integer.parseInt(a[6]), Integer.parseInt(a[7]));
            case "expiring-gen" -> expiringGen(a[1], a[2], a[3], Integer.parseInt(a[4]), Integer.parseInt(a[5]),
                    Integer.parseInt(a[6]), Long.parseLong(a[7]), Long.parseLong(a[8]), Long.parseLong(a[9]), Long.parseLong(a[10]),
                    Long.parseLong(a[11]), a[12]);
            case "monitor-load" -> monitorLoad(Path.of(a[1]), Integer.parseInt(a[2]), Path.of(a[3]), a[4], a[5],
                    List.of(a).subList(6, a.length));
            case "window-stats" -> windowStats(Path.of(a[1]), Path.of(a[2]));
            default -> throw new IllegalArgumentException("unknown command " + a[0]);
        }
    }

    // ---- HTTP helpers ----------------------------------------------------------------------------------------

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.append('"').toString();
    }

    static HttpResponse<String> send(HttpRequest.Builder r) throws IOException, InterruptedException {
        return HTTP.send(r.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static Session login(String base, String user, String password) throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/api/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":" + json(user) + ",\"password\":" + json(password) + "}")));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("sign-in of " + user + ": HTTP " + r.statusCode() + " " + r.body());
        }
        String cookie = null;
        for (String h : r.headers().allValues("Set-Cookie")) {
            if (!h.contains("Max-Age=0")) {
                cookie = h.split(";", 2)[0].trim();
            }
        }
        Matcher m = CSRF.matcher(r.body());
        if (cookie == null || !m.find()) {
            throw new IllegalStateException("sign-in of " + user + ": no cookie or token in " + r.headers().map() + " " + r.body());
        }
        return new Session(cookie, m.group(1));
    }

    static HttpRequest.Builder with(Session s, String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("Cookie", s.cookie()).header("X-CSRF-Token", s.csrf());
    }

    static String user(String prefix, int i) {
        return prefix + String.format(Locale.ROOT, "%05d", i);
    }

    static List<Session> readSessions(Path file) throws IOException {
        List<Session> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                String[] p = line.split("\t");
                out.add(new Session(p[0], p.length > 1 ? p[1] : ""));
            }
        }
        return out;
    }

    static <T> List<T> parallel(int threads, int n, Task<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> task.run(k)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    interface Task<T> {
        T run(int i) throws Exception;
    }

    // ---- commands --------------------------------------------------------------------------------------------

    static void users(String base, String admin, String adminPw, String prefix, int users, String password, int threads)
            throws Exception {
        Session adminSession = login(base, admin, adminPw);
        AtomicInteger created = new AtomicInteger();
        parallel(threads, users, i -> {
            HttpResponse<String> r = send(with(adminSession, base + "/api/admin/users").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"username\":" + json(user(prefix, i)) + ",\"password\":"
                            + json(password) + ",\"roles\":[\"user\"]}")));
            if (r.statusCode() == 201) {
                created.incrementAndGet();
            } else if (r.statusCode() != 409) {
                throw new IllegalStateException("creating " + user(prefix, i) + ": HTTP " + r.statusCode() + " " + r.body());
            }
            return null;
        });
        System.err.printf("[users] %d users (%d new)%n", users, created.get());
    }

    static void signin(String base, String prefix, int users, int perUser, String password, Path out, int threads)
            throws Exception {
        List<Session> sessions = parallel(threads, users * perUser, i -> login(base, user(prefix, i % users), password));
        StringBuilder b = new StringBuilder();
        for (Session s : sessions) {
            b.append(s.cookie()).append('\t').append(s.csrf()).append('\n');
        }
        Files.writeString(out, b.toString());
        System.err.printf("[signin] %d signed-in sessions -> %s%n", sessions.size(), out);
    }

    static void countersHttp(String base, Path file) throws Exception {
        List<Session> sessions = readSessions(file);
        List<Long> values = parallel(8, sessions.size(), i -> {
            HttpResponse<String> r = send(with(sessions.get(i), base + "/api/session").GET());
            Matcher m = COUNTER.matcher(r.body());
            if (r.statusCode() != 200) {
                return -1L;
            }
            return m.find() ? Long.parseLong(m.group(1)) : 0L;
        });
        long sum = 0;
        long failed = 0;
        for (long v : values) {
            if (v < 0) {
                failed++;
            } else {
                sum += v;
            }
        }
        System.out.println(sum + " " + failed);
    }

    static SessionIds ids(String secrets) {
        List<byte[]> keys = new ArrayList<>();
        for (String s : secrets.split(",")) {
            keys.add(s.trim().getBytes(StandardCharsets.UTF_8));
        }
        return new SessionIds(keys);
    }

    static void redisKeys(String secrets, String prefix, Path file) throws IOException {
        SessionIds ids = ids(secrets);
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, StandardCharsets.UTF_8);
        for (Session s : readSessions(file)) {
            String value = s.cookie().substring(s.cookie().indexOf('=') + 1);
            String id = ids.verify(value).orElseThrow(() -> new IllegalStateException("cookie not signed by these secrets"));
            SessionKey k = ids.keyOf(id);
            out.println(prefix + "s:{" + k.tag() + "}" + k.hash());
        }
        out.flush();
    }

    /** RESP array of bulk strings. */
    static void resp(OutputStream out, String... args) throws IOException {
        StringBuilder b = new StringBuilder().append('*').append(args.length).append("\r\n");
        for (String s : args) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            b.append('$').append(bytes.length).append("\r\n").append(s).append("\r\n");
        }
        out.write(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** base64url alphabet: the shard of a slot tag is the index of its first character, mod 16 (RedisKeys.shardOf). */
    private static final String B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static final int SHARDS = 16;
    /** Width of a bucket of deadlines in the expiry index (ExpiryIndex.BUCKET_MS). */
    private static final long BUCKET_MS = 30_000;
    /** How long an expired session stays for the sweep: RedissonSessionStore.lingerFor(PT1M), the default interval. */
    private static final long LINGER_MS = 60_000 + 30_000 + 2_000 + 60_000;

    static int shardOf(String tag) {
        return Math.max(0, B64.indexOf(tag.charAt(0))) % SHARDS;
    }

    /**
     * Where RESP commands go: standard output (for {@code redis-cli --pipe}), or, for a Redis Cluster, one stream per
     * node chosen by the hash slot of each command's key (the argument after the command). The environment variable
     * {@code BENCH_SLOTS} lists the nodes as {@code FROM-TO:PATH,...} (a slot range and a file or FIFO each, read by
     * one {@code redis-cli -p PORT --pipe} per node).
     */
    static final class Sink implements AutoCloseable {
        private final int[] from;
        private final int[] to;
        private final OutputStream[] outs;

        Sink() throws IOException {
            String spec = System.getenv("BENCH_SLOTS");
            if (spec == null || spec.isBlank()) {
                from = new int[] {0};
                to = new int[] {16383};
                outs = new OutputStream[] {new BufferedOutputStream(System.out, 1 << 20)};
                return;
            }
            String[] parts = spec.split(",");
            from = new int[parts.length];
            to = new int[parts.length];
            outs = new OutputStream[parts.length];
            for (int i = 0; i < parts.length; i++) {
                String range = parts[i].substring(0, parts[i].indexOf(':'));
                from[i] = Integer.parseInt(range.substring(0, range.indexOf('-')));
                to[i] = Integer.parseInt(range.substring(range.indexOf('-') + 1));
                outs[i] = new BufferedOutputStream(Files.newOutputStream(Path.of(parts[i].substring(parts[i].indexOf(':') + 1))),
                        1 << 20);
            }
        }

        void cmd(String... args) throws IOException {
            int slot = slot(args[1]);
            for (int i = 0; i < outs.length; i++) {
                if (slot >= from[i] && slot <= to[i]) {
                    resp(outs[i], args);
                    return;
                }
            }
            throw new IllegalStateException("no node for slot " + slot);
        }

        @Override
        public void close() throws IOException {
            for (OutputStream o : outs) {
                o.close();
            }
        }

        /** The Redis Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag, mod 16384. */
        static int slot(String key) {
            int open = key.indexOf('{');
            if (open >= 0) {
                int close = key.indexOf('}', open + 1);
                if (close > open + 1) {
                    key = key.substring(open + 1, close);
                }
            }
            int crc = 0;
            for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
                crc ^= (b & 0xff) << 8;
                for (int k = 0; k < 8; k++) {
                    crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
                }
                crc &= 0xffff;
            }
            return crc % 16384;
        }
    }

    /**
     * One signed-in session as a sign-in stores it (plus a last access): its hash with TTL deadline + linger, its
     * entry in the expiry index; adds its index field to the account's HSET and counts it in its shard.
     */
    static void seedSession(Sink out, String prefix, SessionKey key, String name, long created, long lastAccess,
            long deadline, long now, String ua, List<String> accountHset, long[] counts) throws IOException {
        String k = prefix + "s:{" + key.tag() + "}" + key.hash();
        out.cmd("HSET", k, "#c", Long.toString(created), "#a", Long.toString(lastAccess), "#u", name,
                "#r", "user", "#ip", "127.0.0.1", "#ua", ua, "#e", Long.toString(deadline));
        out.cmd("PEXPIRE", k, Long.toString(deadline - now + LINGER_MS));
        accountHset.add("s:" + key.hash());
        accountHset.add(Long.toString(deadline));
        long bucket = Math.floorDiv(deadline, BUCKET_MS);
        String list = prefix + "x:{x" + Math.floorMod(bucket, (long) SHARDS) + "}:" + bucket;
        out.cmd("RPUSH", list, key.tag() + key.hash() + name);
        out.cmd("PEXPIRE", list, Long.toString((bucket + 1) * BUCKET_MS + LINGER_MS + 60_000 - now));
        counts[shardOf(key.tag())]++;
    }

    /**
     * What sign-ins store (SessionState + save.lua, mode create; RedissonSessionStore; ExpiryIndex), for PER_USER
     * sessions of each user: the session hash {@code #c #a #u #r #ip #ua #e} with TTL deadline + linger; the user's
     * account (the fields of a real account, plus its index {@code s:<handle> -> deadline}) and its entry in the user
     * directory; one entry per session in the expiry index (the list of its deadline's 30-second bucket); the shards'
     * counts of signed-in sessions. Creation times are spread over the last minutes so the sessions look like real
     * traffic.
     */
    static void scaleGen(String secrets, String prefix, int userFrom, int userTo, int perUser, long now, long idleMs,
            long absMs, Path sampleOut, String ua) throws IOException {
        SessionIds ids = ids(secrets);
        StringBuilder samples = new StringBuilder();
        java.util.Random spread = new java.util.Random(42L + userFrom);
        long[] counts = new long[SHARDS];
        String storedUa = ua.length() > 64 ? ua.substring(0, 64) : ua; // SessionState keeps 64 bytes (ASCII here)
        String pw = "PBKDF2WithHmacSHA512:10000:c2NhbGUtc2VlZC1zYWx0IQ==";
        String pk = "c2NhbGUgc2VlZGVkIGFjY291bnQ7IG5ldmVyIHNpZ25zIGluIQ==";
        try (Sink out = new Sink()) {
            for (int u = userFrom; u < userTo; u++) {
                String name = "scale-user-" + u;
                UserRef ref = ids.userRef(name);
                String account = prefix + "a:{" + ref.tag() + "}" + name;
                List<String> hset = new ArrayList<>(List.of("HSET", account, "pw", pw, "pk", pk, "roles", "user",
                        "created", Long.toString(now)));
                for (int s = 0; s < perUser; s++) {
                    String id = ids.newIdFor(ref);
                    SessionKey key = ids.keyOf(id);
                    long created = now - spread.nextInt(600_000);
                    long lastAccess = created + spread.nextInt((int) Math.max(1, now - created));
                    long deadline = Math.min(lastAccess + idleMs, created + absMs);
                    seedSession(out, prefix, key, name, created, lastAccess, deadline, now, storedUa, hset, counts);
                    if (u - userFrom < 5 && s < 2) {
                        samples.append("__Host-SID=").append(ids.sign(id)).append('\n');
                    }
                }
                out.cmd(hset.toArray(String[]::new));
                out.cmd("ZADD", prefix + "d:{d" + shardOf(ref.tag()) + "}", "0", name);
            }
            for (int shard = 0; shard < SHARDS; shard++) {
                if (counts[shard] > 0) {
                    String count = prefix + "x:{x" + shard + "}:n";
                    out.cmd("INCRBY", count, Long.toString(counts[shard]));
                    out.cmd("PEXPIRE", count, Long.toString(absMs + LINGER_MS + 3_600_000L));
                }
            }
        }
        Files.writeString(sampleOut, samples.toString());
    }

    static void check(String base, Path file) throws Exception {
        List<Session> sessions = readSessions(file);
        int ok = 0;
        for (Session s : sessions) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/api/me")).header("Cookie", s.cookie()).GET());
            if (r.statusCode() == 200) {
                ok++;
            } else {
                System.err.println("[check] " + r.statusCode() + " " + r.body());
            }
        }
        System.out.println(ok + " " + sessions.size());
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static String stats(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        double sum = 0;
        for (double d : v) {
            sum += d;
        }
        return String.format(Locale.ROOT, "{\"n\":%d,\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}", v.size(),
                sum / v.size(), pct(v, 50), pct(v, 90), pct(v, 99), v.get(v.size() - 1));
    }

    static double pct(List<Double> sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static void scaleProbe(String base, String admin, String adminPw, String user, String password, int listN, int rounds)
            throws Exception {
        Session adminSession = login(base, admin, adminPw);
        List<Double> list = new ArrayList<>();
        List<Double> revoke = new ArrayList<>();
        int listed = -1;
        int revokedStatus = -1;
        for (int round = 0; round < rounds; round++) {
            Session mine = null;
            for (int i = 0; i < 10; i++) {
                mine = login(base, user, password);
            }
            if (round == 0) {
                // warm-up, then the measured requests
                for (int i = 0; i < listN + 20; i++) {
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = send(with(mine, base + "/api/me/sessions").GET());
                    long t1 = System.nanoTime();
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("GET /api/me/sessions: " + r.statusCode() + " " + r.body());
                    }
                    listed = r.body().split("\"current\"", -1).length - 1;
                    if (i >= 20) {
                        list.add(ms(t1 - t0));
                    }
                }
            }
            long t0 = System.nanoTime();
            HttpResponse<String> r = send(with(adminSession, base + "/api/admin/users/" + user + "/sessions").DELETE());
            long t1 = System.nanoTime();
            revokedStatus = r.statusCode();
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("revoke all: " + r.statusCode() + " " + r.body());
            }
            if (round >= 2) { // the first two rounds warm the path up
                revoke.add(ms(t1 - t0));
            }
        }
        System.out.println("{\"sessionsListed\":" + listed + ",\"revokeStatus\":" + revokedStatus + ",\"list\":" + stats(list)
                + ",\"revokeAll\":" + stats(revoke) + "}");
    }

    /**
     * Accounts as POST /api/admin/users stores them (RedisUserRepository: hash {@code <prefix>a:{<tag>}<name>} with
     * the password hash split into pw and pk, and the name in the user directory).
     */
    static void accountsGen(String keyPrefix, String userPrefix, int users, String password, int iterations)
            throws Exception {
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        byte[] hash = javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
                .generateSecret(new javax.crypto.spec.PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
        Base64.Encoder b64 = Base64.getEncoder();
        String pw = "PBKDF2WithHmacSHA512:" + iterations + ":" + b64.encodeToString(salt);
        String pk = b64.encodeToString(hash);
        String now = Long.toString(System.currentTimeMillis());
        try (Sink out = new Sink()) {
            for (int i = 0; i < users; i++) {
                String name = user(userPrefix, i);
                String tag = SessionIds.userTag(name);
                out.cmd("ZADD", keyPrefix + "d:{d" + shardOf(tag) + "}", "0", name);
                out.cmd("HSET", keyPrefix + "a:{" + tag + "}" + name, "pw", pw, "pk", pk, "roles", "user", "created", now);
            }
        }
    }

    static void burst(String base, String admin, String adminPw, String user, String password, int parallel, int seconds)
            throws Exception {
        Session adminSession = login(base, admin, adminPw);
        HttpResponse<String> created = send(with(adminSession, base + "/api/admin/users").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":" + json(user) + ",\"password\":" + json(password)
                        + ",\"roles\":[\"user\"]}")));
        if (created.statusCode() != 201 && created.statusCode() != 409) {
            throw new IllegalStateException("creating " + user + ": HTTP " + created.statusCode() + " " + created.body());
        }
        Map<String, Integer> outcomes = new TreeMap<>();
        List<Double> latencies = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        int waves = 0;
        try {
            while (System.nanoTime() < end) {
                waves++;
                CountDownLatch gate = new CountDownLatch(1);
                List<Future<String>> wave = new ArrayList<>();
                List<Future<Double>> times = new ArrayList<>();
                for (int i = 0; i < parallel; i++) {
                    CompletableFuture<Double> took = new CompletableFuture<>();
                    times.add(took);
                    wave.add(pool.submit(() -> {
                        gate.await();
                        long t0 = System.nanoTime();
                        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/api/auth/login"))
                                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"username\":" + json(user) + ",\"password\":" + json(password) + "}")));
                        took.complete(ms(System.nanoTime() - t0));
                        Matcher code = ERROR.matcher(r.body());
                        return r.statusCode() + (r.statusCode() == 200 ? "" : " " + (code.find() ? code.group(1) : "?"));
                    }));
                }
                gate.countDown();
                for (int i = 0; i < parallel; i++) {
                    outcomes.merge(wave.get(i).get(), 1, Integer::sum);
                    latencies.add(times.get(i).get());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        HttpResponse<String> left = send(with(adminSession, base + "/api/admin/users/" + user + "/sessions").GET());
        int sessions = left.body().split("\"createdAt\"", -1).length - 1;
        StringBuilder b = new StringBuilder("{\"waves\":" + waves + ",\"signins\":" + latencies.size() + ",\"outcomes\":{");
        outcomes.forEach((k, v) -> b.append(json(k)).append(':').append(v).append(','));
        if (!outcomes.isEmpty()) {
            b.setLength(b.length() - 1);
        }
        b.append("},\"latency\":").append(stats(latencies)).append(",\"sessionsListStatus\":").append(left.statusCode())
                .append(",\"sessionsLeft\":").append(sessions).append('}');
        System.out.println(b);
    }

    // ---- scale-cluster.sh ------------------------------------------------------------------------------------

    /**
     * Sessions that expire soon, stored as scale-gen stores sessions (same fields, keys, index, counts and Sink): for
     * each user USER_PREFIX&lt;n&gt; ({@code USER_FROM <= n < USER_TO}, an account and a directory entry each), PER_USER
     * sessions whose deadlines are spread evenly over {@code [NOW + FROM_MS, NOW + TO_MS]}, each last used IDLE_MS
     * before its deadline and created up to 10 minutes before that. Once the 30-second bucket of a deadline is due,
     * the expiry sweep of the application claims and announces these sessions.
     */
    static void expiringGen(String secrets, String prefix, String userPrefix, int userFrom, int userTo, int perUser, long now,
            long fromMs, long toMs, long idleMs, long absMs, String ua) throws IOException {
        SessionIds ids = ids(secrets);
        java.util.Random spread = new java.util.Random(7L + userFrom);
        long[] counts = new long[SHARDS];
        long total = Math.max(1, (long) (userTo - userFrom) * perUser);
        long n = 0;
        String storedUa = ua.length() > 64 ? ua.substring(0, 64) : ua;
        String pw = "PBKDF2WithHmacSHA512:10000:c2NhbGUtc2VlZC1zYWx0IQ==";
        String pk = "c2NhbGUgc2VlZGVkIGFjY291bnQ7IG5ldmVyIHNpZ25zIGluIQ==";
        try (Sink out = new Sink()) {
            for (int u = userFrom; u < userTo; u++) {
                String name = userPrefix + u;
                UserRef ref = ids.userRef(name);
                String account = prefix + "a:{" + ref.tag() + "}" + name;
                List<String> hset = new ArrayList<>(List.of("HSET", account, "pw", pw, "pk", pk, "roles", "user",
                        "created", Long.toString(now)));
                for (int s = 0; s < perUser; s++, n++) {
                    String id = ids.newIdFor(ref);
                    SessionKey key = ids.keyOf(id);
                    long deadline = now + fromMs + (toMs - fromMs) * n / total;
                    long lastAccess = deadline - idleMs;
                    long created = Math.max(deadline - absMs, lastAccess - spread.nextInt(600_000));
                    seedSession(out, prefix, key, name, created, lastAccess, deadline, now, storedUa, hset, counts);
                }
                out.cmd(hset.toArray(String[]::new));
                out.cmd("ZADD", prefix + "d:{d" + shardOf(ref.tag()) + "}", "0", name);
            }
            for (int shard = 0; shard < SHARDS; shard++) {
                if (counts[shard] > 0) {
                    String count = prefix + "x:{x" + shard + "}:n";
                    out.cmd("INCRBY", count, Long.toString(counts[shard]));
                    out.cmd("PEXPIRE", count, Long.toString(absMs + LINGER_MS + 3_600_000L));
                }
            }
        }
    }

    /**
     * The load of a monitoring system: every second, GET /metrics on each of BASES and GET /api/admin/stats (signed in
     * as ADMIN) on one of them in turn. Each request runs on a thread of its own, so a slow answer delays neither the
     * schedule nor the other requests. Runs until STOP_FILE exists or SECONDS have passed, then waits for the requests
     * in flight. Writes one line per request to OUT: start (epoch ms), what (metrics, stats), base index, HTTP status
     * (-1: no answer), latency ms, body bytes; prints a JSON summary.
     */
    static void monitorLoad(Path stopFile, int seconds, Path out, String admin, String adminPw, List<String> bases)
            throws Exception {
        Session adminSession = login(bases.get(0), admin, adminPw);
        PrintStream lines = new PrintStream(Files.newOutputStream(out), true, StandardCharsets.UTF_8);
        ExecutorService pool = Executors.newCachedThreadPool();
        long end = System.currentTimeMillis() + seconds * 1000L;
        long next = System.currentTimeMillis();
        int tick = 0;
        try {
            while (System.currentTimeMillis() < end && !Files.exists(stopFile)) {
                for (int i = 0; i < bases.size(); i++) {
                    int b = i;
                    pool.submit(() -> timed(lines, "metrics", b, HttpRequest.newBuilder(URI.create(bases.get(b) + "/metrics"))));
                }
                int b = tick % bases.size();
                pool.submit(() -> timed(lines, "stats", b, with(adminSession, bases.get(b) + "/api/admin/stats")));
                tick++;
                next += 1000;
                Thread.sleep(Math.max(0, next - System.currentTimeMillis()));
            }
        } finally {
            pool.shutdown();
            pool.awaitTermination(90, java.util.concurrent.TimeUnit.SECONDS);
            lines.close();
        }
        System.out.println(summary(Files.readAllLines(out), null));
    }

    private static Void timed(PrintStream lines, String what, int base, HttpRequest.Builder request) {
        long start = System.currentTimeMillis();
        long t0 = System.nanoTime();
        int status;
        int bytes = 0;
        try {
            HttpResponse<String> r = send(request.GET());
            status = r.statusCode();
            bytes = r.body().length();
        } catch (Exception e) {
            status = -1;
        }
        String line = String.format(Locale.ROOT, "%d\t%s\t%d\t%d\t%.3f\t%d", start, what, base, status, ms(System.nanoTime() - t0),
                bytes);
        synchronized (lines) {
            lines.println(line);
        }
        return null;
    }

    /**
     * Percentiles of monitor-load lines by what (metrics, stats) and by what and base; only the lines for which
     * {@code keep} holds (all when null). Requests that did not answer 200 are counted as errors and left out of the
     * percentiles.
     */
    private static String summary(List<String> raw, java.util.function.Predicate<String[]> keep) {
        Map<String, List<Double>> by = new TreeMap<>();
        Map<String, Integer> errors = new TreeMap<>();
        for (String line : raw) {
            String[] f = line.split("\t");
            if (f.length < 6 || (keep != null && !keep.test(f))) {
                continue;
            }
            for (String k : List.of(f[1], f[1] + f[2])) {
                if ("200".equals(f[3])) {
                    by.computeIfAbsent(k, x -> new ArrayList<>()).add(Double.parseDouble(f[4]));
                } else {
                    errors.merge(k, 1, Integer::sum);
                }
            }
        }
        StringBuilder b = new StringBuilder("{");
        by.forEach((k, v) -> b.append(json(k)).append(':').append(stats(v)).append(','));
        b.append("\"errors\":{");
        errors.forEach((k, v) -> b.append(json(k)).append(':').append(v).append(','));
        if (!errors.isEmpty()) {
            b.setLength(b.length() - 1);
        }
        return b.append("}}").toString();
    }

    /**
     * monitor-load's lines split by time: the requests that overlap one of the windows (lines "FROM_MS TO_MS", epoch
     * ms; e.g. when the expiry sweep ran) and the others.
     */
    static void windowStats(Path raw, Path windows) throws IOException {
        List<long[]> w = new ArrayList<>();
        for (String line : Files.readAllLines(windows)) {
            String[] p = line.trim().split("\\s+");
            if (p.length >= 2) {
                w.add(new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])});
            }
        }
        java.util.function.Predicate<String[]> inside = f -> {
            long start = Long.parseLong(f[0]);
            long stop = start + (long) Math.ceil(Double.parseDouble(f[4]));
            for (long[] x : w) {
                if (start <= x[1] && stop >= x[0]) {
                    return true;
                }
            }
            return false;
        };
        List<String> lines = Files.readAllLines(raw);
        System.out.println("{\"windows\":" + w.size() + ",\"during\":" + summary(lines, inside) + ",\"outside\":"
                + summary(lines, inside.negate()) + "}");
    }

    private BenchTool() {
    }
}
