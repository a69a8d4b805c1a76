package org.redsession.it.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.redsession.testsupport.FreePorts;
import org.redsession.testsupport.Poll;
import org.redsession.testsupport.RedisServer;
import org.redsession.testsupport.Resp;

/**
 * Redis Sentinel on this machine: a primary, one replica and three Sentinels (quorum 2), every one of them listening
 * on loopback and on {@code address}, and naming the nodes by {@code address} (which must reach this machine from
 * wherever the application runs: 127.0.0.1, or {@link Netns#serviceAddress()} for instances in namespaces). Roles
 * change with failovers, so the primary is always asked of the Sentinels ({@link #primary()}).
 */
final class RedisSentinels implements AutoCloseable {
    static final String MASTER = "redsession";

    private final String address;
    private final Map<Integer, RedisServer> nodes = new LinkedHashMap<>();
    private final List<NativeProcess> sentinels = new ArrayList<>();
    private final List<Integer> sentinelPorts = new ArrayList<>();

    private RedisSentinels(String address) {
        this.address = address;
    }

    /**
     * Starts the nodes and the Sentinels and waits until every Sentinel sees the replica and the two other Sentinels
     * and the replica is in sync.
     *
     * @param dir            where the Sentinels keep their (rewritten) configuration files
     * @param address        the address every node and Sentinel is named by
     * @param downAfterMillis how long the primary may stay silent before the Sentinels fail over
     * @param nodeArgs       further redis-server options of both data nodes (persistence, for instance)
     */
    static RedisSentinels start(Path dir, String address, int downAfterMillis, String... nodeArgs) {
        RedisSentinels s = new RedisSentinels(address);
        try {
            s.launch(dir, downAfterMillis, nodeArgs);
        } catch (RuntimeException | AssertionError e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void launch(Path dir, int downAfterMillis, String... nodeArgs) {
        List<String> common = new ArrayList<>(List.of(nodeArgs));
        if (!"127.0.0.1".equals(address)) {
            common.addAll(List.of("--bind", "127.0.0.1", address, "--protected-mode", "no",
                    "--replica-announce-ip", address));
        }
        RedisServer primary = RedisServer.start(common.toArray(String[]::new));
        nodes.put(primary.port(), primary);
        RedisServer replica = RedisServer.start(Stream.concat(common.stream(),
                Stream.of("--replicaof", address, Integer.toString(primary.port()))).toArray(String[]::new));
        nodes.put(replica.port(), replica);
        for (int i = 1; i <= 3; i++) {
            int port = FreePorts.next();
            Path home = dir.resolve("sentinel-" + i);
            Path conf = home.resolve("sentinel.conf");
            List<String> lines = new ArrayList<>(List.of(
                    "port " + port,
                    "bind 127.0.0.1" + ("127.0.0.1".equals(address) ? "" : " " + address),
                    "protected-mode no",
                    "daemonize no",
                    "logfile \"\"",
                    "dir " + home,
                    "sentinel monitor " + MASTER + " " + address + " " + primary.port() + " 2",
                    "sentinel down-after-milliseconds " + MASTER + " " + downAfterMillis,
                    // Also the pause before the same Sentinel tries a failover of this primary again (twice this).
                    "sentinel failover-timeout " + MASTER + " 5000",
                    "sentinel parallel-syncs " + MASTER + " 1"));
            if (!"127.0.0.1".equals(address)) {
                lines.add("sentinel announce-ip " + address);
            }
            try {
                // Sentinel rewrites its configuration file: each one gets its own, in its own folder.
                Files.createDirectories(home);
                Files.writeString(conf, String.join("\n", lines) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            sentinels.add(NativeProcess.start("sentinel", home, List.of("redis-server", conf.toString(), "--sentinel")));
            sentinelPorts.add(port);
        }
        for (int port : sentinelPorts) {
            Poll.until(Duration.ofSeconds(30), "sentinel " + port + " sees the replica and the two other sentinels",
                    () -> {
                        Map<String, String> master = master(port);
                        return "1".equals(master.get("num-slaves")) && "2".equals(master.get("num-other-sentinels"));
                    });
        }
        awaitWhole(Duration.ofSeconds(30));
    }

    /** The Sentinels' addresses for {@code REDIS_NODES}: {@code redis://address:port,...}. */
    String nodesSetting() {
        return sentinelPorts.stream().map(p -> "redis://" + address + ":" + p).collect(Collectors.joining(","));
    }

    List<Integer> sentinelPorts() {
        return List.copyOf(sentinelPorts);
    }

    /** The node the first Sentinel that answers names as the primary. */
    RedisServer primary() {
        for (int port : sentinelPorts) {
            try {
                return nodes.get(masterPort(port));
            } catch (RuntimeException unreachable) {
                // the next Sentinel
            }
        }
        throw new IllegalStateException("no sentinel answers");
    }

    /** The data node that is not {@code node}. */
    RedisServer other(RedisServer node) {
        return nodes.values().stream().filter(n -> n != node).findFirst().orElseThrow();
    }

    /** Asks a Sentinel for a failover ({@code SENTINEL FAILOVER}), without waiting for it. */
    void failover() {
        try (Resp resp = new Resp(sentinelPorts.get(0))) {
            resp.call("SENTINEL", "FAILOVER", MASTER);
        }
    }

    /** Waits until every Sentinel names another primary than {@code formerPort}. */
    void awaitPrimaryOtherThan(int formerPort, Duration timeout) {
        Poll.until(timeout, "the sentinels promote a new primary (the former was on " + formerPort + ")",
                () -> sentinelPorts.stream().allMatch(p -> masterPort(p) != formerPort));
    }

    /**
     * Waits until the topology is whole: every Sentinel names the same primary, that node is a primary, and the other
     * node is its replica with its link up, which the Sentinels see as a healthy replica (so a later failover has a
     * replica to promote).
     */
    void awaitWhole(Duration timeout) {
        try {
            Poll.until(timeout, "the sentinel topology is whole (one primary, its replica in sync)", this::whole);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; now: " + describe(), e);
        }
    }

    private boolean whole() {
        List<Integer> named = sentinelPorts.stream().map(RedisSentinels::masterPort).distinct().toList();
        if (named.size() != 1 || !nodes.containsKey(named.get(0))) {
            return false;
        }
        RedisServer primary = nodes.get(named.get(0));
        RedisServer replica = other(primary);
        Map<String, String> p = Ops.info(primary, "replication");
        Map<String, String> r = Ops.info(replica, "replication");
        return "master".equals(p.get("role")) && "slave".equals(r.get("role"))
                && Integer.toString(primary.port()).equals(r.get("master_port"))
                && "up".equals(r.get("master_link_status"))
                && sentinelPorts.stream().allMatch(s -> healthyReplica(s, replica.port()));
    }

    private String describe() {
        StringBuilder text = new StringBuilder();
        for (int port : sentinelPorts) {
            try {
                text.append("sentinel ").append(port).append(" names ").append(masterPort(port)).append("; ");
            } catch (RuntimeException e) {
                text.append("sentinel ").append(port).append(": ").append(e.getMessage()).append("; ");
            }
        }
        nodes.forEach((port, node) -> {
            try {
                text.append(port).append(": ").append(Ops.info(node, "replication").get("role")).append("; ");
            } catch (RuntimeException e) {
                text.append(port).append(": down; ");
            }
        });
        return text.toString();
    }

    private static boolean healthyReplica(int sentinelPort, int replicaPort) {
        try (Resp resp = new Resp(sentinelPort)) {
            for (Object entry : (List<?>) resp.call("SENTINEL", "REPLICAS", MASTER)) {
                Map<String, String> fields = fields((List<?>) entry);
                if (Integer.toString(replicaPort).equals(fields.get("port"))) {
                    return "slave".equals(fields.get("flags"));
                }
            }
            return false;
        }
    }

    static Map<String, String> master(int sentinelPort) {
        try (Resp resp = new Resp(sentinelPort)) {
            return fields((List<?>) resp.call("SENTINEL", "MASTER", MASTER));
        }
    }

    static int masterPort(int sentinelPort) {
        try (Resp resp = new Resp(sentinelPort)) {
            List<?> address = (List<?>) resp.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER);
            return Integer.parseInt(String.valueOf(address.get(1)));
        }
    }

    private static Map<String, String> fields(List<?> flat) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            fields.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
        }
        return fields;
    }

    @Override
    public void close() {
        sentinels.forEach(NativeProcess::stop);
        nodes.values().forEach(RedisServer::stop);
    }
}
