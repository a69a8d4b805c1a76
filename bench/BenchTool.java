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
 * Helper of bench/benchmark.sh and bench/scale.sh, run as a single-file program:
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
 *      writes RESP commands (for redis-cli --pipe) that store PER_USER signed-in sessions for each user
 *      scale-user-&lt;n&gt;, USER_FROM &lt;= n &lt; USER_TO, exactly as a sign-in stores them (save.lua, mode create),
 *      and adds the names to the set of account names (so the app's expiry sweep visits them)
 * check BASE COOKIES                    GET /api/me with every cookie of the file; prints how many answered 200
 * accounts-gen KEY_PREFIX USER_PREFIX USERS PASSWORD ITERATIONS
 *      writes RESP commands (for redis-cli --pipe) that store accounts USER_PREFIX00000.. (role user) exactly as
 *      POST /api/admin/users does (create-user.lua), all with one PBKDF2-HMAC-SHA512 hash of PASSWORD at ITERATIONS
 *      (the stored hash carries its iteration count, so checking it costs that many, whatever the server's setting)
 * burst BASE ADMIN ADMINPW USER PASSWORD PARALLEL SECONDS
 *      creates USER (through the API, so at the server's hashing cost), then for SECONDS fires waves of PARALLEL
 *      simultaneous sign-ins of USER; prints one JSON line: outcomes by status and error code, sign-in latency
 *      percentiles (ms) and how many live sessions USER has at the end (GET /api/admin/users/USER/sessions)
 * scale-probe BASE ADMIN ADMINPW USER PASSWORD LIST_N ROUNDS
 *      signs USER in 10 times, times LIST_N x GET /api/me/sessions, then ROUNDS x (sign in 10 times, time the
 *      admin's DELETE /api/admin/users/USER/sessions); prints one JSON line with the percentiles (ms)
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

    /**
     * What a sign-in stores (SessionState + save.lua, mode "create"): the session hash with #c #x #i #u #r #t #l #ip
     * #ua #a, PEXPIRE to min(idle, absolute), and the user's index zset handle -> idle deadline with PEXPIRE absolute.
     * Creation times are spread over the last minutes so the sessions look like real traffic.
     */
    static void scaleGen(String secrets, String prefix, int userFrom, int userTo, int perUser, long now, long idleMs,
            long absMs, Path sampleOut, String ua) throws IOException {
        SessionIds ids = ids(secrets);
        OutputStream out = new BufferedOutputStream(System.out, 1 << 20);
        StringBuilder samples = new StringBuilder();
        java.util.Random spread = new java.util.Random(42);
        for (int u = userFrom; u < userTo; u++) {
            String name = "scale-user-" + u;
            UserRef ref = ids.userRef(name);
            String index = prefix + "u:{" + ref.tag() + "}" + name + ":s";
            String storedUa = ua.length() > 64 ? ua.substring(0, 64) : ua; // SessionState keeps 64 bytes (ASCII here)
            List<String> zadd = new ArrayList<>(List.of("ZADD", index));
            for (int s = 0; s < perUser; s++) {
                String id = ids.newIdFor(ref);
                SessionKey key = ids.keyOf(id);
                long created = now - spread.nextInt(600_000);
                long lastAccess = created + spread.nextInt((int) Math.max(1, now - created));
                long idleDeadline = Math.min(lastAccess + idleMs, created + absMs);
                String k = prefix + "s:{" + key.tag() + "}" + key.hash();
                resp(out, "HSET", k, "#c", Long.toString(created), "#x", Long.toString(created + absMs), "#i",
                        Long.toString(idleMs / 1000), "#u", name, "#r", "user", "#t", ids.newToken(), "#l",
                        Long.toString(created), "#ip", "127.0.0.1", "#ua", storedUa, "#a", Long.toString(lastAccess));
                resp(out, "PEXPIRE", k, Long.toString(idleDeadline - now));
                zadd.add(Long.toString(idleDeadline));
                zadd.add(key.hash());
                if (u - userFrom < 5 && s < 2) {
                    samples.append("__Host-SID=").append(ids.sign(id)).append('\n');
                }
            }
            resp(out, zadd.toArray(String[]::new));
            resp(out, "PEXPIRE", index, Long.toString(absMs));
            // The user is listed among the accounts' names, so the app's expiry sweep covers it as it would a real
            // user (the account hash itself is not needed for sessions).
            resp(out, "SADD", prefix + "{users}:all", name);
        }
        out.flush();
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

    /** Accounts as create-user.lua stores them (hash {@code <prefix>{users}:u:<name>}, set of all names). */
    static void accountsGen(String keyPrefix, String userPrefix, int users, String password, int iterations)
            throws Exception {
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        byte[] hash = javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
                .generateSecret(new javax.crypto.spec.PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
        Base64.Encoder b64 = Base64.getEncoder();
        String stored = "PBKDF2WithHmacSHA512:" + iterations + ":" + b64.encodeToString(salt) + ":" + b64.encodeToString(hash);
        String now = Long.toString(System.currentTimeMillis());
        OutputStream out = new BufferedOutputStream(System.out, 1 << 20);
        for (int i = 0; i < users; i++) {
            String name = user(userPrefix, i);
            resp(out, "HSET", keyPrefix + "{users}:u:" + name, "pw", stored, "roles", "user", "created", now);
            resp(out, "SADD", keyPrefix + "{users}:all", name);
        }
        out.flush();
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

    private BenchTool() {
    }
}
