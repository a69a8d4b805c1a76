package org.redsession.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A real {@code redis-server} process owned by one test, bound to 127.0.0.1 on its own port and folder. */
public final class RedisServer implements AutoCloseable {

    /** How long start and restart may take until PING answers. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int LOG_TAIL_LINES = 40;

    private static final Set<RedisServer> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(RedisServer::killLeftovers, "redis-server-reaper"));
    }

    private final int port;
    private final Path dir;
    private final Path logFile;
    private final Path stdoutFile;
    private final List<String> command;
    private volatile Process process;
    private volatile boolean paused;

    private RedisServer(int port, Path dir, List<String> extraArgs) {
        this.port = port;
        this.dir = dir;
        this.logFile = dir.resolve("redis.log");
        this.stdoutFile = dir.resolve("redis.stdout");
        List<String> cmd = new ArrayList<>(List.of(
                "redis-server",
                "--port", Integer.toString(port),
                "--bind", "127.0.0.1",
                "--daemonize", "no",
                "--dir", dir.toString(),
                "--logfile", logFile.toString()));
        if (!extraArgs.contains("--save")) {
            cmd.addAll(List.of("--save", ""));
        }
        if (!extraArgs.contains("--appendonly")) {
            cmd.addAll(List.of("--appendonly", "no"));
        }
        cmd.addAll(extraArgs);
        this.command = List.copyOf(cmd);
    }

    /**
     * Starts a redis-server on a free port and waits until it answers PING.
     *
     * @param extraArgs further command-line options, e.g. {@code "--appendonly", "yes", "--appendfsync", "everysec"};
     *                  giving {@code --save} or {@code --appendonly} replaces the defaults ({@code --save ""},
     *                  {@code --appendonly no})
     */
    public static RedisServer start(String... extraArgs) {
        return start(FreePorts.next(), extraArgs);
    }

    /** Like {@link #start(String...)} on the given port. */
    public static RedisServer start(int port, String... extraArgs) {
        Path base = Path.of(System.getProperty("it.workDir", "target/it")).toAbsolutePath();
        Path dir = base.resolve("redis-" + port + "-" + System.nanoTime());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        RedisServer server = new RedisServer(port, dir, Arrays.asList(extraArgs));
        server.launch(false);
        return server;
    }

    public int port() {
        return port;
    }

    /** "redis://127.0.0.1:&lt;port&gt;". */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** The server's working folder ({@code --dir}), kept across restarts. */
    public Path dir() {
        return dir;
    }

    /** The server's log file ({@code --logfile}). */
    public Path log() {
        return logFile;
    }

    /** The full command line the server is (re)started with. */
    public List<String> command() {
        return command;
    }

    /** The operating-system process id of the current process. */
    public long pid() {
        return requireProcess().pid();
    }

    /** A new connection with the default read timeout; the caller closes it. */
    public Resp client() {
        return new Resp(port);
    }

    /** A new connection with the given read timeout; the caller closes it. */
    public Resp client(Duration readTimeout) {
        return new Resp(port, readTimeout);
    }

    /** Sends one command over a fresh connection and returns the reply (see {@link Resp#call}). */
    public Object call(String... args) {
        try (Resp resp = client()) {
            return resp.call(args);
        }
    }

    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** Stops the server: SHUTDOWN NOSAVE if it is alive, else (or if that does not work in 10 s) SIGKILL. */
    public void stop() {
        Process p = process;
        if (p == null) {
            return;
        }
        if (p.isAlive()) {
            if (paused) {
                resume();
            }
            try (Resp resp = new Resp(port, Duration.ofSeconds(2))) {
                resp.call("SHUTDOWN", "NOSAVE");
            } catch (RuntimeException expected) {
                // a successful SHUTDOWN closes the connection without a reply
            }
        }
        if (!waitFor(p, STOP_TIMEOUT)) {
            p.destroyForcibly();
            waitFor(p, STOP_TIMEOUT);
        }
        paused = false;
        LIVE.remove(this);
    }

    /** Kills the server with SIGKILL (no shutdown, no AOF flush) and waits until it is gone. */
    public void kill() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        if (!waitFor(p, STOP_TIMEOUT)) {
            throw new AssertionError("redis-server pid " + p.pid() + " did not die within " + STOP_TIMEOUT);
        }
        paused = false;
        LIVE.remove(this);
    }

    /** Freezes the server with SIGSTOP: connections stay open but nothing is answered until {@link #resume()}. */
    public void pause() {
        signal("STOP");
        paused = true;
    }

    /** Lets a paused server go on (SIGCONT). */
    public void resume() {
        signal("CONT");
        paused = false;
    }

    /**
     * Starts the server again on the same port, folder and arguments (stopping it first if it still runs) and waits
     * until PING answers PONG; keeps trying for 10 s while the port is not yet free again.
     */
    public void restart() {
        if (isRunning()) {
            stop();
        }
        launch(true);
    }

    @Override
    public void close() {
        stop();
    }

    /** Calls per command from {@code INFO commandstats}, keyed by lower-case name ("evalsha", "client|setname"). */
    public Map<String, Long> commandCalls() {
        String info = (String) call("INFO", "commandstats");
        Map<String, Long> calls = new LinkedHashMap<>();
        for (String line : info.split("\r?\n")) {
            if (!line.startsWith("cmdstat_")) {
                continue;
            }
            int colon = line.indexOf(':');
            String name = line.substring("cmdstat_".length(), colon).toLowerCase(Locale.ROOT);
            for (String field : line.substring(colon + 1).split(",")) {
                if (field.startsWith("calls=")) {
                    calls.put(name, Long.parseLong(field.substring("calls=".length())));
                }
            }
        }
        return calls;
    }

    /** All keys matching a glob pattern, by a SCAN loop (MATCH, COUNT 1000); duplicates removed. Test use only. */
    public List<String> scanKeys(String pattern) {
        Set<String> keys = new LinkedHashSet<>();
        try (Resp resp = client()) {
            String cursor = "0";
            do {
                List<?> reply = (List<?>) resp.call("SCAN", cursor, "MATCH", pattern, "COUNT", "1000");
                cursor = (String) reply.get(0);
                for (Object key : (List<?>) reply.get(1)) {
                    keys.add((String) key);
                }
            } while (!"0".equals(cursor));
        }
        return new ArrayList<>(keys);
    }

    /** PTTL of a key in milliseconds: -2 if the key does not exist, -1 if it has no expiry. */
    public long ttl(String key) {
        return (Long) call("PTTL", key);
    }

    /** The last lines of the server's log and stdout, for failure messages. */
    public String logTail() {
        return LogFiles.tail(stdoutFile, 10) + "\n" + LogFiles.tail(logFile, LOG_TAIL_LINES);
    }

    @Override
    public String toString() {
        Process p = process;
        return "RedisServer[" + url() + ", pid=" + (p == null ? "-" : p.pid()) + ", running=" + isRunning()
                + (paused ? ", paused" : "") + ", dir=" + dir + "]";
    }

    private void launch(boolean retryWhileDying) {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (true) {
            Process p;
            try {
                p = new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(stdoutFile.toFile()))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run redis-server (is it on the PATH?): " + command, e);
            }
            process = p;
            paused = false;
            LIVE.add(this);
            Duration remaining = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            boolean answered;
            try {
                answered = Poll.until(remaining, "redis-server on port " + port + " answers PING",
                        () -> p.isAlive() ? Optional.ofNullable(pong() ? Boolean.TRUE : null)
                                : Optional.of(Boolean.FALSE));
            } catch (AssertionError timeout) {
                p.destroyForcibly();
                waitFor(p, STOP_TIMEOUT);
                LIVE.remove(this);
                throw new AssertionError(timeout.getMessage() + "\n" + logTail(), timeout);
            }
            if (answered) {
                return;
            }
            LIVE.remove(this);
            if (!retryWhileDying || System.nanoTime() - deadline >= 0) {
                throw new AssertionError("redis-server on port " + port + " exited with code " + p.exitValue()
                        + " during start-up: " + command + "\n" + logTail());
            }
            sleepQuietly(Duration.ofMillis(200));
        }
    }

    private boolean pong() {
        try (Resp resp = new Resp(port, Duration.ofSeconds(1))) {
            return "PONG".equals(resp.call("PING"));
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    private void signal(String signal) {
        long pid = requireProcess().pid();
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .redirectErrorStream(true)
                    .start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new AssertionError("kill -" + signal + " " + pid + " did not finish");
            }
            if (kill.exitValue() != 0) {
                throw new AssertionError("kill -" + signal + " " + pid + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while sending SIG" + signal, e);
        }
    }

    private Process requireProcess() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("redis-server was never started");
        }
        return p;
    }

    private static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    private static void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void killLeftovers() {
        for (RedisServer server : Collections.unmodifiableSet(LIVE)) {
            Process p = server.process;
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
