package org.redsession.it.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A foreground process (haproxy, redis-server --sentinel) started by an operations test, its output in a log file.
 * Killed at JVM exit if a test forgot it.
 */
final class NativeProcess implements AutoCloseable {
    private static final Set<NativeProcess> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Collections.unmodifiableSet(LIVE)
                .forEach(p -> p.process.destroyForcibly()), "native-process-reaper"));
    }

    private final String name;
    private final Path log;
    private final Process process;

    private NativeProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
    }

    /** Starts {@code command} in {@code dir}, stdout and stderr to {@code dir/<name>.log}. */
    static NativeProcess start(String name, Path dir, List<String> command) {
        Path log = dir.resolve(name + ".log");
        try {
            Files.createDirectories(dir);
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            NativeProcess started = new NativeProcess(name, log, process);
            LIVE.add(started);
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Runs a short command to its end (at most 30 s) and returns its exit code and output. */
    static Result run(Path dir, List<String> command) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish within 30 s");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }

    record Result(int exitCode, String output) {
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    String logTail() {
        try {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
            return "---- last lines of " + log + " ----\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "<cannot read " + log + ">";
        }
    }

    /** SIGTERM, then SIGKILL after 10 s. */
    void stop() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        LIVE.remove(this);
    }

    /** SIGKILL, waiting until the process is gone. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LIVE.remove(this);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return name + "[pid=" + process.pid() + ", alive=" + process.isAlive() + ", log=" + log + "]";
    }
}
