package org.redsession.campaign;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonWriter;
import jakarta.json.JsonWriterFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The record of one fault campaign: every operation a client made and every fault the nemesis injected.
 *
 * <p>Thread-safe: many client threads and the nemesis {@link #add(Op) add} concurrently. Times are microseconds
 * since this history was constructed, taken from {@link System#nanoTime()} (monotonic, so comparable across
 * threads of one JVM). The {@link Checker} reads a finished history ({@link #ops()}, {@link #faults()});
 * {@link #writeJsonLines(Path)} keeps it for inspection.
 */
public final class History {

    /** What a client asked for. */
    public enum Kind {
        /** Password sign-in; a 200 answer sets a new session id (starts a logical session, a "chain"). */
        SIGN_IN,
        /** Reads the signed-in identity; a 200 answer reports it. */
        READ,
        /** Increments the session's counter; a 200 answer reports the new value. */
        INCREMENT,
        /** Signs the session out; 204 when done. */
        SIGN_OUT,
        /** Ends every other session of the user; 204 when done, this session gets a new id. */
        REVOKE_OTHERS,
        /** Changes the password, which ends every other session of the user; 204, this session gets a new id. */
        PASSWORD_CHANGE,
        /** A {@link #READ} the runner makes after every fault healed, once per live chain (invariant 5). */
        FINAL_READ
    }

    /**
     * One client operation, recorded when it completed (or gave up).
     *
     * @param id         unique, from {@link History#nextId()}
     * @param client     the client (thread) that made it; each client runs its operations one at a time
     * @param user       the user name the client acts as (several clients may share a user)
     * @param kind       what was asked
     * @param target     {@code "lb"} (through HAProxy) or an instance name ({@code "app1"}..{@code "app3"})
     * @param start      when the request was sent, µs since the campaign start
     * @param end        when the answer (or the failure) came, µs since the campaign start
     * @param status     the HTTP status; 0 when no answer came (timeout, connection refused or reset)
     * @param error      the JSON error code of an error answer ({@code "session_expired"}, ...), else null
     * @param session    the session id the request carried, null if none
     * @param newSession the session id the answer set with Set-Cookie, null if none (a cleared cookie is null too)
     * @param identity   the user name a 200 answer to {@link Kind#SIGN_IN}/{@link Kind#READ} reported, else null
     * @param counter    the value a 200 answer to {@link Kind#INCREMENT} reported, else -1
     */
    public record Op(long id, int client, String user, Kind kind, String target, long start, long end, int status,
            String error, String session, String newSession, String identity, long counter) {
        /** Checks the fields every operation must have. */
        public Op {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(target, "target");
            if (end < start) {
                throw new IllegalArgumentException("op " + id + " ends (" + end + ") before it starts (" + start + ")");
            }
        }
    }

    /**
     * One injected fault.
     *
     * @param kind   {@link #REDIS_KILL}, {@link #REDIS_PAUSE}, {@link #INSTANCE_KILL}, {@link #INSTANCE_PAUSE},
     *               {@link #PARTITION_REDIS}, {@link #PARTITION_LB}, or with Sentinel {@link #PRIMARY_KILL},
     *               {@link #PRIMARY_PAUSE}, {@link #FAILOVER} or {@link #REPLICA_KILL}
     * @param target what it hit: {@code "redis"}, a Redis node ({@code "redis:<port>"}) or an instance name
     * @param start  when it began, µs since the campaign start
     * @param end    when it healed (for a Redis kill: when Redis answered again); {@link Long#MAX_VALUE} if never
     */
    public record Fault(String kind, String target, long start, long end) {
        /** SIGKILL of Redis, then a restart from its AOF (which may lack the last second of writes). */
        public static final String REDIS_KILL = "redis-kill";
        /** SIGSTOP of Redis, later SIGCONT. */
        public static final String REDIS_PAUSE = "redis-pause";
        /** SIGKILL of an application instance, then a restart. */
        public static final String INSTANCE_KILL = "instance-kill";
        /** SIGSTOP of an application instance, later SIGCONT. */
        public static final String INSTANCE_PAUSE = "instance-pause";
        /** The instance {@code target} cut off from Redis. */
        public static final String PARTITION_REDIS = "partition-redis";
        /** The instance {@code target} cut off from HAProxy. */
        public static final String PARTITION_LB = "partition-lb";
        /**
         * Sentinel: SIGKILL of the primary; the Sentinels promote the replica, and the old primary, started again,
         * becomes a replica of the new one (what it had not yet sent to the replica is lost). Ends when the topology
         * is whole again.
         */
        public static final String PRIMARY_KILL = "primary-kill";
        /**
         * Sentinel: SIGSTOP of the primary for longer than the Sentinels' down-after time, then SIGCONT: a failover
         * happens while the old primary is frozen, and it may still acknowledge writes after it wakes, until the
         * Sentinels turn it into a replica (those writes are lost). Ends when the topology is whole again.
         */
        public static final String PRIMARY_PAUSE = "primary-pause";
        /** Sentinel: a failover asked of a Sentinel ({@code SENTINEL FAILOVER}). Ends when the topology is whole. */
        public static final String FAILOVER = "failover";
        /** Sentinel: SIGKILL of the replica, then a restart. Loses nothing. */
        public static final String REPLICA_KILL = "replica-kill";

        /**
         * Whether writes acknowledged during this fault (or just before it) may be lost: Redis restarted from an AOF
         * written every second, or a failover to a replica that is fed asynchronously.
         */
        public boolean mayLoseWrites() {
            return REDIS_KILL.equals(kind) || PRIMARY_KILL.equals(kind) || PRIMARY_PAUSE.equals(kind)
                    || FAILOVER.equals(kind);
        }

        /**
         * The last moment a write acknowledged then may be lost by this fault: the kill itself for a SIGKILL (nothing
         * is acknowledged afterwards by the dead process), the fault's end for a failover (the old primary may
         * acknowledge writes until it is turned into a replica).
         */
        public long lossesUntil() {
            return REDIS_KILL.equals(kind) || PRIMARY_KILL.equals(kind) ? start : end;
        }

        /** Checks the fields every fault must have. */
        public Fault {
            Objects.requireNonNull(kind, "kind");
            if (end < start) {
                throw new IllegalArgumentException(kind + " heals (" + end + ") before it starts (" + start + ")");
            }
        }
    }

    private static final Comparator<Op> BY_START = Comparator.comparingLong(Op::start).thenComparingLong(Op::id);

    private final long origin = System.nanoTime();
    private final AtomicLong ids = new AtomicLong();
    private final List<Op> ops = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();

    /** Microseconds since this history was constructed (monotonic). */
    public long now() {
        return (System.nanoTime() - origin) / 1_000;
    }

    /** A new operation id, unique within this history (1, 2, 3, ...). */
    public long nextId() {
        return ids.incrementAndGet();
    }

    /** Records a completed operation. */
    public void add(Op op) {
        Objects.requireNonNull(op, "op");
        synchronized (ops) {
            ops.add(op);
        }
    }

    /** Records a fault (once its end is known, or with {@link Long#MAX_VALUE} when it never healed). */
    public void add(Fault fault) {
        Objects.requireNonNull(fault, "fault");
        synchronized (faults) {
            faults.add(fault);
        }
    }

    /** A snapshot of the operations, sorted by start time, then id. */
    public List<Op> ops() {
        List<Op> copy;
        synchronized (ops) {
            copy = new ArrayList<>(ops);
        }
        copy.sort(BY_START);
        return List.copyOf(copy);
    }

    /** A snapshot of the faults, in the order they were added. */
    public List<Fault> faults() {
        synchronized (faults) {
            return List.copyOf(faults);
        }
    }

    /**
     * Writes the history as JSON Lines: one object per operation ({@code "type":"op"}, in {@link #ops()} order), then
     * one per fault ({@code "type":"fault"}). Absent values are JSON nulls.
     */
    public void writeJsonLines(Path file) {
        JsonWriterFactory factory = Json.createWriterFactory(Map.of());
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Op op : ops()) {
                writeLine(out, factory, json(op));
            }
            for (Fault fault : faults()) {
                writeLine(out, factory, json(fault));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the history to " + file, e);
        }
    }

    private static void writeLine(BufferedWriter out, JsonWriterFactory factory, JsonObject object) throws IOException {
        StringWriter line = new StringWriter();
        try (JsonWriter writer = factory.createWriter(line)) {
            writer.writeObject(object);
        }
        out.write(line.toString());
        out.newLine();
    }

    private static JsonObject json(Op op) {
        JsonObjectBuilder b = Json.createObjectBuilder()
                .add("type", "op")
                .add("id", op.id())
                .add("client", op.client());
        string(b, "user", op.user());
        b.add("kind", op.kind().name())
                .add("target", op.target())
                .add("start", op.start())
                .add("end", op.end())
                .add("status", op.status());
        string(b, "error", op.error());
        string(b, "session", op.session());
        string(b, "newSession", op.newSession());
        string(b, "identity", op.identity());
        return b.add("counter", op.counter()).build();
    }

    private static JsonObject json(Fault fault) {
        JsonObjectBuilder b = Json.createObjectBuilder()
                .add("type", "fault")
                .add("kind", fault.kind());
        string(b, "target", fault.target());
        return b.add("start", fault.start()).add("end", fault.end()).build();
    }

    private static void string(JsonObjectBuilder b, String name, String value) {
        if (value == null) {
            b.addNull(name);
        } else {
            b.add(name, value);
        }
    }
}
