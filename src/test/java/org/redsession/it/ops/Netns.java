package org.redsession.it.ops;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Network namespaces for instances, so a test can cut one instance off from Redis, or from the load balancer, while
 * the rest of the machine goes on (the test runs as root). Instance k (1..n) runs in its own namespace with two veth
 * pairs to the host: one towards Redis ({@link #redisSide(int)} on the host, {@link #instanceOnRedisLink(int)} in the
 * namespace) and one towards HAProxy and the clients ({@link #instanceAddress(int)}). Cutting a link sets its host
 * end down: packets are dropped, connections hang until their timeouts, as with a cable pulled. Everything lives only
 * on this machine, in addresses of a private /16 chosen per process; {@link #close()} deletes the namespaces and with
 * them their links.
 */
final class Netns implements AutoCloseable {
    private final String prefix;
    private final int redisNet;
    private final int lbNet;
    private final int count;
    private final List<String> created = new ArrayList<>();

    private Netns(int count) {
        long pid = ProcessHandle.current().pid();
        this.prefix = "rs" + (pid % 10_000);
        this.redisNet = 100 + (int) (pid % 50) * 2;
        this.lbNet = redisNet + 1;
        this.count = count;
    }

    /** Creates namespaces and links for instances 1..count. */
    static Netns create(int count) {
        Netns n = new Netns(count);
        try {
            for (int k = 1; k <= count; k++) {
                n.setUp(k);
            }
        } catch (RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    private void setUp(int k) {
        String ns = namespace(k);
        run("ip", "netns", "add", ns);
        created.add(ns);
        run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        link(k, "r", redisNet);
        link(k, "l", lbNet);
    }

    private void link(int k, String kind, int net) {
        String host = prefix + kind + k + "h";
        String peer = prefix + kind + k + "n";
        run("ip", "link", "add", host, "type", "veth", "peer", "name", peer);
        run("ip", "link", "set", peer, "netns", namespace(k));
        run("ip", "addr", "add", "10." + net + "." + k + ".1/30", "dev", host);
        run("ip", "link", "set", host, "up");
        run("ip", "netns", "exec", namespace(k), "ip", "addr", "add", "10." + net + "." + k + ".2/30", "dev", peer);
        run("ip", "netns", "exec", namespace(k), "ip", "link", "set", peer, "up");
    }

    String namespace(int k) {
        return prefix + "i" + k;
    }

    /** The command prefix that starts a process in instance k's namespace. */
    List<String> exec(int k) {
        return List.of("ip", "netns", "exec", namespace(k));
    }

    /** The host's address on instance k's link to Redis (Redis listens there too). */
    String redisSide(int k) {
        return "10." + redisNet + "." + k + ".1";
    }

    String instanceOnRedisLink(int k) {
        return "10." + redisNet + "." + k + ".2";
    }

    /** Instance k's address for HAProxy and clients. */
    String instanceAddress(int k) {
        return "10." + lbNet + "." + k + ".2";
    }

    /** Every host-side Redis address, for redis-server's {@code bind}. */
    List<String> redisAddresses() {
        List<String> all = new ArrayList<>();
        for (int k = 1; k <= count; k++) {
            all.add(redisSide(k));
        }
        return all;
    }

    void cutRedis(int k) {
        run("ip", "link", "set", prefix + "r" + k + "h", "down");
    }

    void healRedis(int k) {
        run("ip", "link", "set", prefix + "r" + k + "h", "up");
    }

    void cutLb(int k) {
        run("ip", "link", "set", prefix + "l" + k + "h", "down");
    }

    void healLb(int k) {
        run("ip", "link", "set", prefix + "l" + k + "h", "up");
    }

    /** Whether this machine lets the test create namespaces (root, iproute2). */
    static boolean available() {
        try {
            String probe = "rsprobe" + (ProcessHandle.current().pid() % 100_000);
            boolean ok = NativeProcess.run(Path.of("."), List.of("ip", "netns", "add", probe)).exitCode() == 0;
            NativeProcess.run(Path.of("."), List.of("ip", "netns", "del", probe));
            return ok;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        for (String ns : created) {
            NativeProcess.run(Path.of("."), List.of("ip", "netns", "del", ns));
        }
        created.clear();
    }

    private static void run(String... command) {
        NativeProcess.Result r = NativeProcess.run(Path.of("."), List.of(command));
        if (r.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + r.exitCode() + "): " + r.output());
        }
    }
}
