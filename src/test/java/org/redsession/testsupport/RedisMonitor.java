package org.redsession.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Counts the commands clients send to a Redis while an action runs, using {@code MONITOR}: commands that Lua scripts
 * run inside Redis are told apart ({@code [0 lua]}), so the count is the number of commands on the wire, i.e. round
 * trips for an application that sends one command per round trip. Housekeeping commands (PING, INFO, ECHO, CLIENT,
 * HELLO, SELECT, AUTH, SCRIPT) and the background reads of the signed-in counts are left out.
 */
public final class RedisMonitor implements AutoCloseable {
    private static final Set<String> HOUSEKEEPING = Set.of("ping", "info", "echo", "client", "hello", "select", "auth",
            "script", "monitor", "readonly");

    /**
     * Reads of the 16 cluster-wide counts of signed-in sessions ({@code GET rs:x:{xN}:n}), sent in the background by
     * the {@code sessions_active} gauge (for {@code /metrics} and the admin page's history, sampled every 10 s), never
     * by a request that uses a session: left out, as housekeeping, so they cannot land in a measured window.
     */
    private static final java.util.regex.Pattern COUNT_READ =
            java.util.regex.Pattern.compile("\\] \"GET\" \"[^\"]*:x:\\{x\\d+\\}:n\"$");

    /** One command seen by MONITOR. */
    public record Command(String name, boolean fromScript, String line) {
    }

    private final int port;
    private final Socket socket;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    private RedisMonitor(int port) throws IOException {
        this.port = port;
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        OutputStream out = socket.getOutputStream();
        out.write("*1\r\n$7\r\nMONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        String ok = in.readLine();
        if (!"+OK".equals(ok)) {
            throw new IOException("MONITOR answered " + ok);
        }
        reader = new Thread(() -> {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // closed
            }
        }, "redis-monitor-" + port);
        reader.setDaemon(true);
        reader.start();
    }

    public static RedisMonitor start(int port) {
        try {
            return new RedisMonitor(port);
        } catch (IOException e) {
            throw new IllegalStateException("cannot MONITOR port " + port, e);
        }
    }

    /** The application commands sent while {@code action} ran (script-internal ones marked), in order. */
    public List<Command> during(Runnable action) {
        String begin = "begin-" + UUID.randomUUID();
        String end = "end-" + UUID.randomUUID();
        marker(begin);
        await(begin);
        action.run();
        marker(end);
        List<Command> seen = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            String line;
            try {
                line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (line == null) {
                throw new AssertionError("MONITOR did not show the end marker within 10 s");
            }
            if (line.contains(end)) {
                return seen;
            }
            parse(line).ifPresent(seen::add);
        }
    }

    /** The number of commands the application sent (not counting what scripts ran inside Redis). */
    public static long roundTrips(List<Command> commands) {
        return commands.stream().filter(c -> !c.fromScript()).count();
    }

    private static java.util.Optional<Command> parse(String line) {
        int bracket = line.indexOf('[');
        int close = line.indexOf(']', bracket);
        int quote = line.indexOf('"', close);
        if (bracket < 0 || close < 0 || quote < 0) {
            return java.util.Optional.empty();
        }
        boolean lua = line.substring(bracket, close).contains("lua");
        int endQuote = line.indexOf('"', quote + 1);
        String name = line.substring(quote + 1, endQuote < 0 ? line.length() : endQuote).toLowerCase(Locale.ROOT);
        if (HOUSEKEEPING.contains(name) || COUNT_READ.matcher(line).find()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Command(name, lua, line));
    }

    private void marker(String text) {
        try (Resp r = new Resp(port)) {
            r.call("ECHO", text);
        }
    }

    private void await(String text) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            String line;
            try {
                line = lines.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (line != null && line.contains(text)) {
                return;
            }
        }
        throw new AssertionError("MONITOR did not show the marker within 10 s");
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // ignore
        }
    }
}
