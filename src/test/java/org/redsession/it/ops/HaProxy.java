package org.redsession.it.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.redsession.testsupport.FreePorts;
import org.redsession.testsupport.Poll;

/**
 * HAProxy from the operating system's package in front of some backends: round robin, no stickiness, health check
 * on {@code /health/ready}, the same settings as {@code docker/haproxy.cfg} with shorter check intervals. Every
 * response carries {@code X-Served-By: <server name>}.
 */
final class HaProxy implements AutoCloseable {
    static final String SERVED_BY = "X-Served-By";

    private final int port;
    private final NativeProcess process;
    private final Path config;

    private HaProxy(int port, NativeProcess process, Path config) {
        this.port = port;
        this.process = process;
        this.config = config;
    }

    /** The haproxy executable, or null if it is not installed. */
    static String executable() {
        for (String candidate : List.of("/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy",
                "/usr/local/bin/haproxy")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "haproxy"))) {
                    return Path.of(dir, "haproxy").toString();
                }
            }
        }
        return null;
    }

    /** The configuration text for a front port and named backends (name to port on 127.0.0.1). */
    static String config(int frontPort, Map<String, Integer> backends) {
        Map<String, String> addresses = new LinkedHashMap<>();
        backends.forEach((name, port) -> addresses.put(name, "127.0.0.1:" + port));
        return configAt(frontPort, addresses);
    }

    /** The configuration text for a front port and named backends (name to "address:port"). */
    static String configAt(int frontPort, Map<String, String> backends) {
        StringBuilder cfg = new StringBuilder("""
                global
                    maxconn 500
                    log stdout format raw local0

                defaults
                    mode http
                    log global
                    option httplog
                    option dontlognull
                    option forwardfor
                    timeout connect 2s
                    timeout client 30s
                    timeout server 30s
                    timeout http-request 10s
                    timeout http-keep-alive 10s
                    # A connection refused by a dead instance is retried, the last time on the other one.
                    retries 2
                    option redispatch

                frontend http
                    bind 127.0.0.1:%d
                    default_backend app

                backend app
                    balance roundrobin
                    option httpchk
                    http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host localhost
                    http-check expect status 200
                    default-server inter 1s fall 2 rise 1
                    http-response set-header %s %%s
                """.formatted(frontPort, SERVED_BY));
        backends.forEach((name, address) -> cfg.append("    server ").append(name).append(" ").append(address)
                .append(" check\n"));
        return cfg.toString();
    }

    /** Writes the configuration into {@code dir}, checks it with {@code haproxy -c} and starts HAProxy on a free port. */
    static HaProxy start(Path dir, Map<String, Integer> backends) {
        Map<String, String> addresses = new LinkedHashMap<>();
        backends.forEach((name, port) -> addresses.put(name, "127.0.0.1:" + port));
        return startAt(dir, addresses);
    }

    /** Like {@link #start} with backends at any address ("address:port"), e.g. in network namespaces. */
    static HaProxy startAt(Path dir, Map<String, String> backends) {
        String haproxy = executable();
        if (haproxy == null) {
            throw new IllegalStateException("haproxy is not installed");
        }
        int port = FreePorts.next();
        Path config = dir.resolve("haproxy.cfg");
        try {
            Files.createDirectories(dir);
            Files.writeString(config, configAt(port, new LinkedHashMap<>(backends)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NativeProcess.Result check = NativeProcess.run(dir, List.of(haproxy, "-c", "-f", config.toString()));
        if (check.exitCode() != 0) {
            throw new AssertionError("haproxy -c refused " + config + ":\n" + check.output());
        }
        NativeProcess process = NativeProcess.start("haproxy", dir, List.of(haproxy, "-db", "-f", config.toString()));
        HaProxy proxy = new HaProxy(port, process, config);
        Poll.until(Duration.ofSeconds(10), "haproxy listens on port " + port, () -> {
            if (!process.isAlive()) {
                throw new AssertionError("haproxy exited\n" + process.logTail());
            }
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException notYet) {
                return false;
            }
        });
        return proxy;
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    Path config() {
        return config;
    }

    String logTail() {
        return process.logTail();
    }

    /** The backend names seen in a list of responses' X-Served-By headers, in order. */
    static List<String> servedBy(List<org.redsession.testsupport.TestClient.Res> responses) {
        List<String> names = new ArrayList<>();
        for (var res : responses) {
            names.add(res.header(SERVED_BY).orElse("?"));
        }
        return names;
    }

    @Override
    public void close() {
        process.stop();
    }
}
