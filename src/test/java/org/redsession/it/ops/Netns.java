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
 *
 * <p>Servers that must be reached at one address from every namespace (Redis nodes and Sentinels, which tell clients
 * where the primary is) listen on {@link #serviceAddress()}: an address on the host's loopback device that every
 * namespace routes through its own link to Redis, so cutting that link cuts the instance off from all of them.
 */
final class Netns implements AutoCloseable {
    private final String prefix;
    private final int redisNet;
    private final int lbNet;
    private final int count;
    private final List<String> created = new ArrayList<>();
    private boolean serviceAddressAdded;

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
            run("ip", "addr", "add", n.serviceAddress() + "/32", "dev", "lo");
            n.serviceAddressAdded = true;
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
        routeToService(k);
    }

    /** The namespace reaches {@link #serviceAddress()} through its link to Redis (again after that link was down). */
    private void routeToService(int k) {
        run("ip", "netns", "exec", namespace(k), "ip", "route", "replace", serviceAddress() + "/32", "via", redisSide(k));
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

    /**
     * The host's address that every namespace reaches through its link to Redis (on the host's loopback device): for
     * servers that must be named by one address everywhere, such as Redis nodes and Sentinels.
     */
    String serviceAddress() {
        return "10." + redisNet + ".250.1";
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
        routeToService(k);
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
        if (serviceAddressAdded) {
            NativeProcess.run(Path.of("."), List.of("ip", "addr", "del", serviceAddress() + "/32", "dev", "lo"));
            serviceAddressAdded = false;
        }
    }

    private static void run(String... command) {
        NativeProcess.Result r = NativeProcess.run(Path.of("."), List.of(command));
        if (r.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + r.exitCode() + "): " + r.output());
        }
    }
}
