package org.redsession.it.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.redsession.campaign.Checker;
import org.redsession.campaign.History;
import org.redsession.campaign.History.Kind;
import org.redsession.campaign.History.Op;
import org.redsession.it.It;
import org.redsession.testsupport.FreePorts;
import org.redsession.testsupport.PayaraMicro;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.TestClient;

/**
 * A randomized fault campaign whose recorded history is checked (issue 15): three Payara Micro instances behind HAProxy
 * (round robin, no stickiness) on one Redis with AOF ({@code appendfsync everysec}); concurrent clients sign in, read,
 * increment their counter, sign out, end their other sessions and change passwords, through HAProxy and straight to
 * an instance, every operation recorded; a nemesis, seeded and so reproducible, SIGKILLs and restarts Redis, freezes it
 * (SIGSTOP/SIGCONT), SIGKILLs and restarts instances and freezes them, and (each instance runs in a network namespace
 * of its own when the machine allows it, see {@link Netns}) cuts an instance off from Redis or from HAProxy and the
 * clients; then everything heals, a quiet period follows,
 * and every session that was not ended is read once more. {@link Checker} then checks the history: no acknowledged
 * increment lost outside the AOF loss window, no session served after its ending was acknowledged, never another
 * user's identity, no 500 and no error outside a fault, every live session served again after healing.
 *
 * <p>A second topology replaces the one Redis by Sentinel ({@link RedisSentinels}: a primary and a replica, both with
 * the same AOF, and three Sentinels that fail over after 1 s of silence). Its nemesis SIGKILLs the primary (the old
 * one, started again, becomes a replica), freezes it long enough for a failover while it is frozen, asks the Sentinels
 * for a failover, and SIGKILLs the replica, besides the instance faults and partitions; a failover may lose what the
 * replica had not received, which the checker allows only around a failover ({@link History.Fault#mayLoseWrites()}).
 *
 * <p>Run: {@code ./mvnw verify -Dit.test='FaultCampaignIT#aSeeded*' -Dcampaign.seconds=1800 -Dcampaign.seed=42} (both
 * topologies; name one test method to run one; CI runs each for 60 s with a seed of the day; the report, with the
 * seed to replay it, goes to {@code target/campaign/}).
 */
@EnabledIf(value = "org.redsession.it.ops.FaultCampaignIT#haproxyInstalled",
        disabledReason = "haproxy is not installed: apt-get install -y haproxy (Debian package) to run this test")
class FaultCampaignIT {
    private static final String[] USERS = {"camp.ann", "camp.bob", "camp.cat", "camp.dan"};
    private static final int CLIENTS_PER_USER = 3;
    private static final Duration LOSS_WINDOW = Duration.ofMillis(1500);
    private static final Duration RECOVERY = Duration.ofSeconds(20);
    private static final Duration FINAL_WITHIN = Duration.ofSeconds(60);
    /** How long the Sentinel topology may take to fail over, or to be whole again after a fault. */
    private static final Duration SENTINEL_HEAL = Duration.ofSeconds(60);

    static boolean haproxyInstalled() {
        return HaProxy.executable() != null;
    }

    private final long seed = Long.getLong("campaign.seed", java.time.LocalDate.now().toEpochDay());
    private final int seconds = Integer.getInteger("campaign.seconds", 60);
    private final History history = new History();
    private final Map<String, String> passwords = new ConcurrentHashMap<>();
    /** A password change that got no answer may have happened: its new password, tried when the known one fails. */
    private final Map<String, String> maybePasswords = new ConcurrentHashMap<>();
    /**
     * Every password each user had, newest first: an acknowledged change may be lost by a failover (the replica had
     * not received it), and then the user's clients find the password that is stored again by trying the older ones.
     */
    private final Map<String, List<String>> formerPasswords = new ConcurrentHashMap<>();
    private final List<String> live = new CopyOnWriteArrayList<>(); // "user session-id" of every chain a client left
    private final Map<String, PayaraMicro> instances = new ConcurrentHashMap<>();
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    /** Where clients send requests: mostly HAProxy ("lb"), else an instance directly. */
    private List<String> targets = List.of("lb", "lb", "lb", "lb", "lb", "app1", "app2", "app3");
    private Path war;
    /** Network namespaces of the instances (when the machine allows them): partitions become possible. */
    private Netns net;
    private RedisServer redis;
    /** The Sentinel topology, instead of {@link #redis}, in the Sentinel campaign. */
    private RedisSentinels sentinels;
    private boolean sentinelTopology;
    private HaProxy proxy;

    @Test
    void aSeededCampaign_ofClientsAndFaults_leavesAHistoryThatPassesEveryCheck() throws Exception {
        if (Netns.available()) {
            net = Netns.create(3);
        }
        Checker.Report report = run("campaign", List.of("app1", "app2", "app3"), true, seconds);
        assertTrue(report.ok(), () -> "violations (report in target/campaign/): " + report.examples());
    }

    @Test
    void aSeededCampaign_onSentinel_withFailovers_leavesAHistoryThatPassesEveryCheck() throws Exception {
        if (Netns.available()) {
            net = Netns.create(3);
        }
        sentinelTopology = true;
        Checker.Report report = run("sentinel", List.of("app1", "app2", "app3"), true, seconds);
        assertTrue(report.ok(), () -> "violations (report in target/campaign/): " + report.examples());
    }

    /**
     * The checker can fail: the same clients against a deliberately broken build (a test copy of the WAR whose
     * sign-out script leaves the session in place; nothing of it ships) must be reported as serving sessions after
     * their sign-out was acknowledged.
     */
    @Test
    void theChecker_reportsABrokenBuild_thatServesSignedOutSessions() throws Exception {
        war = brokenWar();
        targets = List.of("app1");
        Checker.Report report = run("broken", List.of("app1"), false, 20);
        assertTrue(report.count(Checker.SERVED_AFTER_END) > 0, report::table);
    }

    /** A copy of the WAR whose delete.lua ends nothing (it answers as if it had): the resurrection the checker must see. */
    private static Path brokenWar() throws IOException {
        Path original = Path.of(System.getProperty("app.war", "target/redsession.war"));
        String script = "WEB-INF/classes/org/redsession/session/redis/delete.lua";
        org.jboss.shrinkwrap.api.spec.WebArchive copy = org.jboss.shrinkwrap.api.ShrinkWrap
                .createFromZipFile(org.jboss.shrinkwrap.api.spec.WebArchive.class, original.toFile());
        copy.delete(script);
        copy.add(new org.jboss.shrinkwrap.api.asset.StringAsset("""
                -- BROKEN ON PURPOSE (FaultCampaignIT): answers "ended" but deletes nothing.
                return 1
                """), script);
        Path out = Path.of("target", "campaign", "broken-delete.war");
        Files.createDirectories(out.getParent());
        copy.as(org.jboss.shrinkwrap.api.exporter.ZipExporter.class).exportTo(out.toFile(), true);
        return out;
    }

    private Checker.Report run(String label, List<String> names, boolean nemesis, int runSeconds) throws Exception {
        Path dir = Ops.workDir(label + "-" + seed);
        // Three instances start at once, and again after each kill: give a loaded machine time (the default is 240 s).
        String startupTimeout = System.getProperty("payara.startupTimeoutInSeconds");
        System.setProperty("payara.startupTimeoutInSeconds", System.getProperty("campaign.startupTimeoutInSeconds", "480"));
        List<String> redisArgs = new ArrayList<>(List.of("--appendonly", "yes", "--appendfsync", "everysec"));
        if (sentinelTopology) {
            sentinels = RedisSentinels.start(dir, net == null ? "127.0.0.1" : net.serviceAddress(), 1000,
                    redisArgs.toArray(String[]::new));
        } else {
            if (net != null) {
                // Also on each instance's link, so cutting that link cuts the instance off from Redis.
                redisArgs.addAll(List.of("--protected-mode", "no", "--bind", "127.0.0.1"));
                redisArgs.addAll(net.redisAddresses());
            }
            redis = RedisServer.start(redisArgs.toArray(String[]::new));
        }
        try {
            for (String name : names) {
                ports.put(name, FreePorts.next());
            }
            ExecutorService starts = Executors.newFixedThreadPool(names.size());
            List<Future<PayaraMicro>> started = new ArrayList<>();
            for (String name : names) {
                started.add(starts.submit(() -> {
                    PayaraMicro instance = launch(name);
                    instances.put(name, instance);
                    return instance;
                }));
            }
            starts.shutdown();
            for (Future<PayaraMicro> f : started) {
                f.get(10, TimeUnit.MINUTES); // a failed start fails the test with its cause
            }
            Map<String, String> backends = new LinkedHashMap<>();
            ports.forEach((name, port) -> backends.put(name, host(name) + ":" + port));
            proxy = HaProxy.startAt(dir, backends);
            TestClient admin = new TestClient(proxy.base());
            Poll.until(Duration.ofSeconds(60), "HAProxy serves", () -> admin.get("health/ready").status() == 200);
            It.loginAdmin(admin);
            Random passwordsRandom = new Random(seed);
            for (String user : USERS) {
                String password = "Campaign-" + Long.toHexString(passwordsRandom.nextLong()) + "-Start-7";
                passwords.put(user, password);
                formerPasswords.put(user, new ArrayList<>(List.of(password)));
                admin.postJson("api/admin/users", Json.createObjectBuilder().add("username", user)
                        .add("password", password).add("roles", Json.createArrayBuilder().add("user")).build().toString());
            }

            ExecutorService pool = Executors.newFixedThreadPool(USERS.length * CLIENTS_PER_USER + 1);
            long deadline = System.nanoTime() + Duration.ofSeconds(runSeconds).toNanos();
            List<Future<?>> work = new ArrayList<>();
            int client = 0;
            for (String user : USERS) {
                for (int i = 0; i < CLIENTS_PER_USER; i++) {
                    int id = client++;
                    work.add(pool.submit(() -> runClient(id, user, new Random(seed * 31 + id), deadline)));
                }
            }
            if (nemesis) {
                work.add(pool.submit(() -> runNemesis(new Random(seed), deadline)));
            }
            Throwable failure = null;
            for (Future<?> f : work) {
                try {
                    f.get(runSeconds + 900L, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    failure = failure == null ? e.getCause() : failure;
                }
            }
            pool.shutdown();
            if (failure == null) {
                healEverything();
                finalReads();
            }
            Checker.Report report = Checker.check(history.ops(), history.faults(), new Checker.Params(
                    LOSS_WINDOW.toNanos() / 1000, RECOVERY.toNanos() / 1000, FINAL_WITHIN.toNanos() / 1000));
            Path out = Path.of("target", "campaign");
            Files.createDirectories(out);
            String text = "# Fault campaign (" + label + "), seed " + seed + ", " + runSeconds + " s, " + names.size()
                    + " instance(s), " + (sentinelTopology ? "Sentinel (primary, replica, 3 sentinels)" : "one Redis (AOF)")
                    + (net == null ? "" : ", network namespaces") + "\n\nReplay: `./mvnw -B verify -Dtest=none "
                    + "-Dsurefire.failIfNoSpecifiedTests=false -Dit.test='FaultCampaignIT#" + testMethod() + "' "
                    + "-Dcampaign.seed=" + seed + " -Dcampaign.seconds=" + runSeconds + "`\n\n"
                    + report.table() + "\n";
            Files.writeString(out.resolve(label + "-" + seed + ".md"), text);
            history.writeJsonLines(out.resolve(label + "-" + seed + ".jsonl"));
            System.out.println(text);
            if (failure != null) {
                // The history so far is checked and written above; the run itself could not go on.
                throw new AssertionError("the campaign stopped early (report of its history so far in target/campaign/)",
                        failure);
            }
            return report;
        } finally {
            if (proxy != null) {
                proxy.close();
            }
            instances.values().forEach(PayaraMicro::kill);
            if (redis != null) {
                redis.stop();
            }
            if (sentinels != null) {
                sentinels.close();
            }
            if (net != null) {
                net.close();
            }
            if (startupTimeout == null) {
                System.clearProperty("payara.startupTimeoutInSeconds");
            } else {
                System.setProperty("payara.startupTimeoutInSeconds", startupTimeout);
            }
        }
    }

    private String testMethod() {
        return war != null ? "theChecker_*" : sentinelTopology ? "aSeededCampaign_onSentinel*"
                : "aSeededCampaign_ofClients*";
    }

    private static int index(String name) {
        return Integer.parseInt(name.substring(3));
    }

    /** Where an instance is reached: its namespace address, or 127.0.0.1 without namespaces. */
    private String host(String name) {
        return net == null ? "127.0.0.1" : net.instanceAddress(index(name));
    }

    private PayaraMicro launch(String name) {
        PayaraMicro.Builder builder = PayaraMicro.builder();
        if (war != null) {
            builder.war(war);
        }
        if (net != null) {
            builder.wrapper(net.exec(index(name)).toArray(String[]::new)).host(host(name));
        }
        if (sentinels != null) {
            builder.env("REDIS_MODE", "sentinel").env("REDIS_NODES", sentinels.nodesSetting())
                    .env("REDIS_SENTINEL_MASTER", RedisSentinels.MASTER);
        }
        String redisUrl = sentinels != null ? "redis://127.0.0.1:6379" // scheme only: the Sentinels name the primary
                : net == null ? redis.url() : "redis://" + net.redisSide(index(name)) + ":" + redis.port();
        return builder.name("camp-" + name).port(ports.get(name))
                .env("REDIS_URL", redisUrl)
                .env("SESSION_MAX_PER_USER", "1000")
                .env("SECURITY_LOGIN_MAX_FAILURES", "1000")
                .env("SECURITY_LOGIN_MAX_FAILURES_PER_CLIENT", "100000")
                .env("SECURITY_REAUTH_MAX_AGE", "PT24H")
                .start();
    }

    // ---- clients ------------------------------------------------------------------------------------------------

    /** One client: a browser of {@code user}, one operation at a time, through HAProxy or straight to an instance. */
    private void runClient(int client, String user, Random random, long deadline) {
        TestClient c = new TestClient(proxy.base());
        String session = null;
        while (System.nanoTime() < deadline) {
            Kind kind;
            if (session == null) {
                kind = Kind.SIGN_IN;
            } else {
                int r = random.nextInt(100);
                kind = r < 45 ? Kind.INCREMENT : r < 85 ? Kind.READ : r < 92 ? Kind.SIGN_OUT : r < 97 ? Kind.REVOKE_OTHERS
                        : Kind.PASSWORD_CHANGE;
            }
            String target = targets.get(random.nextInt(targets.size()));
            String cookie = c.cookies().get(It.COOKIE);
            Op op = call(c, client, user, kind, target, session, random);
            if (kind == Kind.SIGN_OUT && op.status() == 204) {
                // A stale tab (or a stolen cookie) replays the signed-out session once: it must be refused.
                c.setCookie(It.COOKIE, cookie);
                call(c, client, user, Kind.READ, targets.get(random.nextInt(targets.size())), session, random);
                c.clearCookies();
            } else if (session != null && op.newSession() != null && !op.newSession().equals(session)
                    && (kind == Kind.REVOKE_OTHERS || kind == Kind.PASSWORD_CHANGE) && op.status() / 100 == 2) {
                // The id changed: a stale tab replays the id left behind once, which must be refused too.
                String fresh = c.cookies().get(It.COOKIE);
                c.setCookie(It.COOKIE, cookie);
                call(c, client, user, Kind.READ, targets.get(random.nextInt(targets.size())), session, random);
                c.setCookie(It.COOKIE, fresh);
            }
            if (op.status() == 401 || (kind == Kind.SIGN_OUT && op.status() == 204)) {
                if (session != null && op.status() == 401) {
                    live.add(user + " " + session); // ended elsewhere, or lost: judged at the end
                }
                session = null;
                c.clearCookies();
            } else if (op.newSession() != null) {
                session = op.newSession();
            }
            if (op.status() == 0 || op.status() >= 500) {
                pause(200); // the service is down here: do not spin
            }
        }
        if (session != null) {
            live.add(user + " " + session);
        }
    }

    private Op call(TestClient c, int client, String user, Kind kind, String target, String session, Random random) {
        TestClient to = target.equals("lb") ? c : c.withBase(instanceBase(target));
        long start = history.now();
        int status = 0;
        String error = null;
        String newSession = null;
        String identity = null;
        long counter = -1;
        String newPassword = null;
        String usedPassword = passwords.get(user);
        try {
            TestClient.Res res = switch (kind) {
                case SIGN_IN -> {
                    c.setHeader("X-CSRF-Token", null);
                    yield to.postJson("api/auth/login", Json.createObjectBuilder().add("username", user)
                            .add("password", usedPassword).build().toString());
                }
                case READ, FINAL_READ -> to.get("api/me");
                case INCREMENT -> to.post("api/counter");
                case SIGN_OUT -> to.post("api/auth/logout");
                case REVOKE_OTHERS -> to.delete("api/me/sessions?scope=others");
                case PASSWORD_CHANGE -> {
                    newPassword = "Campaign-" + Long.toHexString(random.nextLong()) + "-Pw-9";
                    yield to.postJson("api/me/password", Json.createObjectBuilder().add("currentPassword",
                            usedPassword).add("newPassword", newPassword).build().toString());
                }
            };
            status = res.status();
            newSession = sessionIdOf(res);
            JsonObject body = json(res);
            if (body != null && body.containsKey("error")) {
                error = body.getString("error", null);
            }
            if (status == 200 && body != null && (kind == Kind.SIGN_IN || kind == Kind.READ || kind == Kind.FINAL_READ)) {
                identity = body.getString("username", null);
            }
            if (status == 200 && kind == Kind.SIGN_IN && body != null) {
                c.setHeader("X-CSRF-Token", body.getString("csrfToken"));
            }
            if (status == 200 && kind == Kind.INCREMENT && body != null) {
                counter = body.getJsonNumber("counter").longValue();
            }
            if (status == 204 && kind == Kind.PASSWORD_CHANGE) {
                synchronized (passwords) {
                    passwords.put(user, newPassword);
                    maybePasswords.remove(user);
                    formerPasswords.get(user).add(0, newPassword);
                }
            } else if (kind == Kind.PASSWORD_CHANGE && (status == 0 || status >= 500)) {
                synchronized (passwords) {
                    maybePasswords.put(user, newPassword);
                }
            } else if (kind == Kind.SIGN_IN && status == 401) {
                // The unanswered change did happen (or this one was refused for another reason): try it next time.
                // Only if no other client of the user switched already (sign-ins overlap): else they would flip the
                // two passwords back and forth.
                synchronized (passwords) {
                    String maybe = maybePasswords.get(user);
                    if (maybe != null && passwords.replace(user, usedPassword, maybe)) {
                        maybePasswords.put(user, usedPassword);
                    } else if (maybe == null && usedPassword.equals(passwords.get(user))) {
                        // No change is in doubt: the known password may have been lost by a failover; try the one
                        // before it next time (round the list).
                        List<String> former = formerPasswords.get(user);
                        passwords.put(user, former.get((former.indexOf(usedPassword) + 1) % former.size()));
                    }
                }
            }
        } catch (UncheckedIOException e) {
            status = 0; // no answer: timed out, refused or reset
        }
        Op op = new Op(history.nextId(), client, user, kind, target, start, history.now(), status, error, session,
                newSession, identity, counter);
        history.add(op);
        return op;
    }

    private java.net.URI instanceBase(String name) {
        return java.net.URI.create("http://" + host(name) + ":" + ports.get(name) + "/");
    }

    /** The session id an answer set (the cookie's id part), or null when it set none or cleared it. */
    private static String sessionIdOf(TestClient.Res res) {
        for (String cookie : res.setCookies()) {
            if (cookie.startsWith(It.COOKIE + "=")) {
                String value = cookie.substring(It.COOKIE.length() + 1, cookie.indexOf(';') > 0 ? cookie.indexOf(';')
                        : cookie.length());
                int dot = value.indexOf('.');
                return dot > 0 ? value.substring(0, dot) : null;
            }
        }
        return null;
    }

    private static JsonObject json(TestClient.Res res) {
        try {
            return res.body() == null || !res.body().startsWith("{") ? null : res.json();
        } catch (RuntimeException e) {
            return null;
        }
    }

    // ---- nemesis -----------------------------------------------------------------------------------------------

    /** Seeded faults, one at a time, until the deadline: each healed before the next. */
    private void runNemesis(Random random, long deadline) {
        pause(5_000); // let clients sign in first
        List<String> kinds = new ArrayList<>(sentinelTopology
                ? List.of(History.Fault.PRIMARY_KILL, History.Fault.PRIMARY_PAUSE, History.Fault.FAILOVER,
                        History.Fault.REPLICA_KILL, History.Fault.INSTANCE_KILL, History.Fault.INSTANCE_PAUSE)
                : List.of(History.Fault.REDIS_KILL, History.Fault.REDIS_PAUSE, History.Fault.INSTANCE_KILL,
                        History.Fault.INSTANCE_PAUSE));
        if (net != null) {
            kinds.addAll(List.of(History.Fault.PARTITION_REDIS, History.Fault.PARTITION_LB));
        }
        while (System.nanoTime() < deadline - Duration.ofSeconds(5).toNanos()) {
            // An instance's restart takes a minute or more here: short runs (CI) leave it out, so they see many faults.
            String kind;
            do {
                kind = kinds.get(random.nextInt(kinds.size()));
            } while (kind.equals(History.Fault.INSTANCE_KILL) && seconds < 300);
            String instance = "app" + (1 + random.nextInt(instances.size()));
            long start = history.now();
            String target = inject(kind, instance, random);
            history.add(new History.Fault(kind, target, start, history.now()));
            pause(2_000 + random.nextInt(6_000));
        }
    }

    /** Injects one fault and heals it; returns what it hit. */
    private String inject(String kind, String instance, Random random) {
        switch (kind) {
            case History.Fault.REDIS_KILL -> {
                redis.kill();
                pause(500 + random.nextInt(2_000));
                redis.restart();
                return "redis";
            }
            case History.Fault.REDIS_PAUSE -> {
                redis.pause();
                pause(1_000 + random.nextInt(3_000));
                redis.resume();
                return "redis";
            }
            case History.Fault.INSTANCE_KILL -> {
                instances.get(instance).kill();
                pause(random.nextInt(2_000));
                instances.put(instance, relaunch(instance));
                return instance;
            }
            case History.Fault.INSTANCE_PAUSE -> {
                signal(instances.get(instance), "STOP");
                pause(1_000 + random.nextInt(4_000));
                signal(instances.get(instance), "CONT");
                return instance;
            }
            case History.Fault.PARTITION_REDIS -> {
                net.cutRedis(index(instance));
                pause(1_000 + random.nextInt(5_000));
                net.healRedis(index(instance));
                return instance;
            }
            case History.Fault.PARTITION_LB -> {
                net.cutLb(index(instance));
                pause(1_000 + random.nextInt(5_000));
                net.healLb(index(instance));
                return instance;
            }
            case History.Fault.PRIMARY_KILL -> {
                RedisServer primary = sentinels.primary();
                primary.kill();
                sentinels.awaitPrimaryOtherThan(primary.port(), SENTINEL_HEAL);
                pause(random.nextInt(2_000));
                primary.restart(); // with its own AOF; the Sentinels turn it into a replica of the new primary
                sentinels.awaitWhole(SENTINEL_HEAL);
                return "redis:" + primary.port();
            }
            case History.Fault.PRIMARY_PAUSE -> {
                // Longer than the Sentinels' down-after (1 s): a failover mostly happens while it is frozen.
                RedisServer primary = sentinels.primary();
                primary.pause();
                pause(1_500 + random.nextInt(3_000));
                primary.resume();
                sentinels.awaitWhole(SENTINEL_HEAL);
                return "redis:" + primary.port();
            }
            case History.Fault.FAILOVER -> {
                RedisServer primary = sentinels.primary();
                Poll.until(Duration.ofSeconds(20), "a sentinel accepts SENTINEL FAILOVER", () -> {
                    sentinels.failover();
                    return true;
                });
                sentinels.awaitPrimaryOtherThan(primary.port(), SENTINEL_HEAL);
                sentinels.awaitWhole(SENTINEL_HEAL);
                return "redis:" + primary.port();
            }
            case History.Fault.REPLICA_KILL -> {
                RedisServer replica = sentinels.other(sentinels.primary());
                replica.kill();
                pause(500 + random.nextInt(2_000));
                replica.restart();
                sentinels.awaitWhole(SENTINEL_HEAL);
                return "redis:" + replica.port();
            }
            default -> throw new IllegalArgumentException(kind);
        }
    }

    /**
     * Starts a killed instance again; a start that times out (a loaded machine) is tried once more, so the campaign
     * goes on: the instance stays down meanwhile, which the history records as part of the fault.
     */
    private PayaraMicro relaunch(String name) {
        try {
            return launch(name);
        } catch (AssertionError slow) {
            System.out.println("[campaign] " + name + " did not start in time, starting it again: " + slow.getMessage());
            return launch(name);
        }
    }

    private static void signal(PayaraMicro instance, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(instance.pid())).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every fault is healed when the nemesis ends one; this waits until every instance serves again. */
    private void healEverything() {
        for (String name : ports.keySet()) {
            TestClient probe = new TestClient(instanceBase(name));
            Poll.until(Duration.ofSeconds(120), name + " ready after the campaign",
                    () -> probe.get("health/ready").status() == 200);
        }
    }

    /** Reads every session a client held when it stopped or lost it, once all is healed (invariant 5). */
    private void finalReads() {
        pause(2_000);
        for (String entry : live) {
            String user = entry.substring(0, entry.indexOf(' '));
            String session = entry.substring(entry.indexOf(' ') + 1);
            Op op = null;
            long until = System.nanoTime() + FINAL_WITHIN.toNanos();
            do {
                TestClient c = new TestClient(proxy.base());
                op = call(withSession(c, session), -1, user, Kind.FINAL_READ, "lb", session, new Random(0));
                if (op.status() == 200 || op.status() == 401) {
                    break;
                }
                pause(500);
            } while (System.nanoTime() < until);
        }
    }

    /** A client whose jar holds a cookie for the id (signed as the instances sign it: the suite's shared secret). */
    private static TestClient withSession(TestClient c, String id) {
        c.setCookie(It.COOKIE, new org.redsession.session.SessionIds(List.of(System.getenv("SESSION_SECRETS")
                .split(",")[0].trim().getBytes(java.nio.charset.StandardCharsets.UTF_8))).sign(id));
        return c;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
