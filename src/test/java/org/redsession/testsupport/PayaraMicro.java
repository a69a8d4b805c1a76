package org.redsession.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A real Payara Micro process running the application WAR at context root "/", started outside Arquillian. */
public final class PayaraMicro implements AutoCloseable {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final int LOG_TAIL_LINES = 60;

    private static final Set<PayaraMicro> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(PayaraMicro::killLeftovers, "payara-micro-reaper"));
    }

    private final String name;
    private final String host;
    private final int port;
    private final Path dir;
    private final Path log;
    private final List<String> command;
    private final Process process;

    private PayaraMicro(String name, String host, int port, Path dir, List<String> command, Process process) {
        this.name = name;
        this.host = host;
        this.port = port;
        this.dir = dir;
        this.log = dir.resolve("payara.log");
        this.command = command;
        this.process = process;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** "http://127.0.0.1:&lt;port&gt;/" (or the address given to {@link Builder#host}). */
    public URI base() {
        return URI.create("http://" + host + ":" + port + "/");
    }

    public int port() {
        return port;
    }

    public String name() {
        return name;
    }

    /** The instance's own folder (ROOT.war, rootdir/, payara.log). */
    public Path dir() {
        return dir;
    }

    /** The file that receives the process's stdout and stderr. */
    public Path log() {
        return log;
    }

    /** The log as text so far. */
    public String logText() {
        return LogFiles.read(log);
    }

    /** The last lines of the log (ANSI colours removed), for failure messages. */
    public String logTail(int lines) {
        return LogFiles.tail(log, lines);
    }

    /** The command line the process was started with. */
    public List<String> command() {
        return command;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Stops gracefully (SIGTERM), waiting up to 30 s before SIGKILL. */
    public void stop() {
        if (process.isAlive()) {
            process.destroy();
            if (!waitFor(STOP_TIMEOUT)) {
                process.destroyForcibly();
                waitFor(STOP_TIMEOUT);
            }
        }
        LIVE.remove(this);
    }

    /** Kills the process at once (SIGKILL) and waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        if (!waitFor(STOP_TIMEOUT)) {
            throw new AssertionError("Payara Micro pid " + process.pid() + " did not die within " + STOP_TIMEOUT);
        }
        LIVE.remove(this);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "PayaraMicro[" + name + ", " + base() + ", pid=" + process.pid() + ", alive=" + isAlive()
                + ", dir=" + dir + "]";
    }

    private void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        HttpRequest live = HttpRequest.newBuilder(base().resolve("health/live"))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build();
        try {
            Poll.until(timeout, "Payara Micro '" + name + "' answers 200 on " + live.uri(), () -> {
                if (!process.isAlive()) {
                    throw new AssertionError("Payara Micro '" + name + "' exited with code " + process.exitValue()
                            + " during start-up\n" + logTail(LOG_TAIL_LINES));
                }
                failOnDeploymentError();
                try {
                    return http.send(live, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException notYet) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting for Payara Micro '" + name + "'", e);
                }
            });
            failOnDeploymentError();
        } catch (AssertionError e) {
            kill();
            if (e.getMessage() != null && e.getMessage().startsWith("timed out")) {
                throw new AssertionError(e.getMessage() + "\n" + logTail(LOG_TAIL_LINES), e);
            }
            throw e;
        } finally {
            http.close();
        }
    }

    /** A SEVERE log record mentioning "deploy" (on its line or the next, for multi-line records) is fatal. */
    private void failOnDeploymentError() {
        List<String> lines = logText().lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.contains("SEVERE")) {
                continue;
            }
            String record = line + (i + 1 < lines.size() ? "\n" + lines.get(i + 1) : "");
            if (record.toLowerCase(Locale.ROOT).contains("deploy")) {
                throw new AssertionError("Payara Micro '" + name + "' failed to deploy the application: "
                        + line.strip() + "\n" + logTail(LOG_TAIL_LINES));
            }
        }
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private static void killLeftovers() {
        for (PayaraMicro instance : Collections.unmodifiableSet(LIVE)) {
            instance.process.destroyForcibly();
        }
    }

    /** Collects the settings of one Payara Micro instance; {@link #start()} launches it and waits until it is live. */
    public static final class Builder {

        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private String name = "micro";
        private String host = "127.0.0.1";
        private final List<String> wrapper = new ArrayList<>();
        private int port;
        private Path war;

        private Builder() {
        }

        /** Sets (or, with a null value, removes) an environment variable; the rest is inherited from this JVM. */
        public Builder env(String variable, String value) {
            env.put(variable, value);
            return this;
        }

        /** Names the instance (used for its folder, its {@code --name} and messages). */
        public Builder name(String instanceName) {
            this.name = instanceName;
            return this;
        }

        /**
         * The address the instance is reached at (default 127.0.0.1), e.g. its address in a network namespace it runs
         * in (see {@link #wrapper}).
         */
        public Builder host(String address) {
            this.host = address;
            return this;
        }

        /**
         * A command the launch runs under, e.g. {@code ip netns exec <namespace>} to start the instance in a network
         * namespace (which replaces itself with the command: the process is still Payara's).
         */
        public Builder wrapper(String... command) {
            wrapper.addAll(List.of(command));
            return this;
        }

        /** The HTTP port; a free one if not set. */
        public Builder port(int httpPort) {
            this.port = httpPort;
            return this;
        }

        /** The WAR to deploy instead of {@code System.getProperty("app.war", "target/redsession.war")}. */
        public Builder war(Path warFile) {
            this.war = warFile;
            return this;
        }

        /** An extra JVM option (no spaces), passed in {@code JAVA_OPTS}: after the shipped ones, so it wins. */
        public Builder jvmArg(String option) {
            jvmArgs.add(option);
            return this;
        }

        /** A system property for the server JVM ({@code -Dkey=value}). */
        public Builder systemProperty(String key, String value) {
            return jvmArg("-D" + key + "=" + value);
        }

        /** Extra Payara Micro options, appended after the standard ones. */
        public Builder arg(String... options) {
            args.addAll(List.of(options));
            return this;
        }

        /** Starts the process and waits until {@code /health/live} answers 200. */
        public PayaraMicro start() {
            PayaraMicro instance = launch();
            long seconds = Long.parseLong(System.getProperty("payara.startupTimeoutInSeconds", "240"));
            instance.awaitReady(Duration.ofSeconds(seconds));
            return instance;
        }

        /** Starts the process without waiting for it (e.g. to watch a deployment fail); the caller stops it. */
        public PayaraMicro launch() {
            int httpPort = port > 0 ? port : FreePorts.next();
            Path microJar = Path.of(System.getProperty("payara.microJar", "target/payara-micro.jar"))
                    .toAbsolutePath();
            Path sourceWar = (war != null ? war : Path.of(System.getProperty("app.war", "target/redsession.war")))
                    .toAbsolutePath();
            Path dir = Path.of(System.getProperty("it.workDir", "target/it")).toAbsolutePath()
                    .resolve("payara-" + name + "-" + httpPort + "-" + System.nanoTime());
            if (!Files.isRegularFile(microJar)) {
                throw new IllegalStateException("Payara Micro jar not found: " + microJar
                        + " (run ./mvnw package or set -Dpayara.microJar)");
            }
            if (!Files.isRegularFile(sourceWar)) {
                throw new IllegalStateException("WAR not found: " + sourceWar + " (run ./mvnw package or set -Dapp.war)");
            }
            Path rootWar = dir.resolve("ROOT.war");
            Path rootDir = dir.resolve("rootdir");
            try {
                Files.createDirectories(rootDir);
                Files.copy(sourceWar, rootWar);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare " + dir, e);
            }

            // Started like bin/run, bin/topology and the Docker image start Payara: through payara-config/payara-micro.sh,
            // so the tests run the shipped JVM, thread-pool and listener settings.
            Path launcher = Path.of("payara-config", "payara-micro.sh").toAbsolutePath();
            List<String> command = new ArrayList<>(wrapper);
            command.addAll(List.of("bash", launcher.toString(), microJar.toString(),
                    rootWar.toString(), "--rootdir", rootDir.toString(), "--name", name));
            command.addAll(args);

            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("payara.log").toFile());
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            pb.environment().put("PORT", Integer.toString(httpPort));
            pb.environment().put("JAVA_OPTS", String.join(" ", jvmArgs));
            for (Map.Entry<String, String> e : env.entrySet()) {
                if (e.getValue() == null) {
                    pb.environment().remove(e.getKey());
                } else {
                    pb.environment().put(e.getKey(), e.getValue());
                }
            }
            Process process;
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + command, e);
            }
            PayaraMicro instance = new PayaraMicro(name, host, httpPort, dir, List.copyOf(command), process);
            LIVE.add(instance);
            return instance;
        }
    }
}
