package org.redsession.campaign;

import org.redsession.campaign.History.Fault;
import org.redsession.campaign.History.Kind;
import org.redsession.campaign.History.Op;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Verifies the invariants of a fault campaign over its recorded {@link History}.
 *
 * <h2>Logical sessions ("chains")</h2>
 * A chain starts with a {@link Kind#SIGN_IN} answered 200 that set a session id; its user is the op's user. An op
 * (other than a sign-in) that carries any id of a chain and is answered 200 or 204 with a different new id continues
 * the chain under that id (ids rotate on {@link Kind#REVOKE_OTHERS} and {@link Kind#PASSWORD_CHANGE}). Every id maps
 * to its chain; an op "of" a chain is a non-sign-in op carrying one of its ids. A sign-in never belongs to the chain
 * whose (stale) cookie it may carry. Each client runs one op at a time, but clients share users, so a user has
 * several chains at once.
 *
 * <h2>Fault model</h2>
 * Redis runs with {@code appendfsync everysec}: a SIGKILL ({@value History.Fault#REDIS_KILL}) may lose the
 * acknowledged writes of about the last second before it. A write acknowledged within
 * {@link Params#lossWindowMicros()} before a Redis kill's start may therefore be lost. With Sentinel, replication is
 * asynchronous: a failover ({@value History.Fault#PRIMARY_KILL}, {@value History.Fault#PRIMARY_PAUSE},
 * {@value History.Fault#FAILOVER}) may lose what the replica had not received, that is writes acknowledged within the
 * loss window before the fault, and, when the old primary lived on (frozen, or a failover asked for), also those it
 * acknowledged until the fault ended (it was turned into a replica). Any other acknowledged write must survive
 * ({@link History.Fault#mayLoseWrites()}, {@link History.Fault#lossesUntil()}). During a fault, and for {@link Params#recoveryMicros()} after it heals, requests may fail
 * (502, 503, 504 or no answer), but never with another 5xx, and never with a wrong answer. An op that got no answer
 * or a 5xx is indeterminate: it may or may not have taken effect.
 *
 * <h2>Invariants</h2>
 * <ol>
 * <li>{@value #LOST_INCREMENTS}: per chain, the values of acknowledged increments, in order of their answers, are
 * strictly increasing. A value that is not above an earlier acknowledged (and not yet lost) value reveals that every
 * such earlier increment with a value at or above it was lost (a repeated value is a lost update); each lost one must
 * have been acknowledged within the loss window before a Redis kill that started before the revealing op.</li>
 * <li>{@value #SERVED_AFTER_END}: once a chain ended (its {@link Kind#SIGN_OUT} answered 204, or another chain of the
 * same user got 204 for {@link Kind#REVOKE_OTHERS} or {@link Kind#PASSWORD_CHANGE} after this chain's sign-in had
 * completed, and the chain did not get a new id in an op overlapping the ending: its new id may rightly survive), no
 * op of it that starts after the ending's answer is served (2xx), unless the ending itself was
 * acknowledged within the loss window before a Redis kill that started before that op. Likewise an id the chain
 * left behind (an answer gave it a new one) is never served again in an op that starts after that answer.</li>
 * <li>{@value #FOREIGN_IDENTITY}: no answer reports another user's identity.</li>
 * <li>{@value #ERRORS_OUTSIDE_FAULTS}: no 5xx other than 502/503/504 ever, and no 404 ever (every endpoint the
 * campaign calls exists: a 404 is an instance answering without its application); 502, 503, 504 and "no answer" only while
 * some fault is active or recovering ({@code [start, end + recovery]} overlaps the op; any fault excuses any op,
 * targets are not matched).</li>
 * <li>{@value #NOT_SERVED_AFTER_HEAL}: every chain that is not ended and whose current id some op used is served
 * (200) by a read ({@link Kind#FINAL_READ}, {@link Kind#READ} or {@link Kind#INCREMENT}) carrying its current id
 * that starts at or after the last heal and answers within {@link Params#finalWithinMicros()} of it. A 401 instead
 * is allowed only when the chain's last id-setting answer (sign-in or rotation) came within the loss window before a
 * Redis kill, or when the chain may have been ended by an indeterminate ending op or by a revocation concurrent with
 * its sign-in.</li>
 * </ol>
 *
 * <p>Pure: the result depends only on the arguments.
 */
public final class Checker {

    /** Invariant 1: acknowledged increments of a chain are never lost outside a loss window. */
    public static final String LOST_INCREMENTS = "lost-increments";
    /** Invariant 2: an ended chain is never served again (outside a loss window). */
    public static final String SERVED_AFTER_END = "served-after-end";
    /** Invariant 3: an answer never reports another user's identity. */
    public static final String FOREIGN_IDENTITY = "foreign-identity";
    /** Invariant 4: failures only while a fault is active or recovering, and never a 500. */
    public static final String ERRORS_OUTSIDE_FAULTS = "errors-outside-faults";
    /** Invariant 5: every live chain is served again soon after every fault healed. */
    public static final String NOT_SERVED_AFTER_HEAL = "not-served-after-heal";
    /** The five invariant names, in order. */
    public static final List<String> INVARIANTS = List.of(LOST_INCREMENTS, SERVED_AFTER_END, FOREIGN_IDENTITY,
            ERRORS_OUTSIDE_FAULTS, NOT_SERVED_AFTER_HEAL);

    /** Allowed loss: acknowledged increments lost within the loss window before a Redis kill (invariant 1). */
    public static final String INCREMENTS_LOST = "increments lost in a loss window";
    /** Allowed loss: chains served after an ending that was lost within a loss window (invariant 2). */
    public static final String ENDED_RESTORED = "ended sessions restored by a loss window";
    /** Allowed loss: live chains refused after heal because their last id was lost in a loss window (invariant 5). */
    public static final String SESSIONS_LOST = "sessions lost in a loss window";
    /** Allowed loss: live chains refused after heal that an indeterminate or concurrent ending may have ended. */
    public static final String POSSIBLY_ENDED = "sessions possibly ended by an indeterminate or concurrent op";
    /** The allowed-loss names, in order. */
    public static final List<String> ALLOWED_LOSSES = List.of(INCREMENTS_LOST, ENDED_RESTORED, SESSIONS_LOST,
            POSSIBLY_ENDED);

    /** At most this many example violations are kept per invariant. */
    public static final int EXAMPLES_PER_INVARIANT = 20;

    private Checker() {
    }

    /**
     * How much the fault model allows.
     *
     * @param lossWindowMicros  writes acknowledged within this long before the start of a Redis kill or failover may be lost
     *                          (AOF {@code everysec}: 1.5 s in practice)
     * @param recoveryMicros    after a fault heals, failures (502, 503, 504, no answer) are still allowed this long
     * @param finalWithinMicros every live chain must be served within this long after the last heal (invariant 5)
     */
    public record Params(long lossWindowMicros, long recoveryMicros, long finalWithinMicros) {
        /** Rejects negative durations. */
        public Params {
            if (lossWindowMicros < 0 || recoveryMicros < 0 || finalWithinMicros < 0) {
                throw new IllegalArgumentException("Durations must not be negative");
            }
        }
    }

    /**
     * One broken invariant.
     *
     * @param invariant one of {@link #INVARIANTS}
     * @param detail    what happened, naming the ops (by id) and times (µs)
     */
    public record Violation(String invariant, String detail) {
    }

    /**
     * The outcome of a check.
     *
     * @param violations    invariant name to number of violations; every one of {@link #INVARIANTS} is present
     * @param examples      up to {@value #EXAMPLES_PER_INVARIANT} violations per invariant
     * @param allowedLosses what the fault model excused, by {@link #ALLOWED_LOSSES} name (all present)
     * @param opCounts      {@code "KIND status"} (e.g. {@code "READ 200"}) to number of ops
     * @param faults        number of faults
     * @param faultCounts   fault kind to number of faults
     */
    public record Report(Map<String, Integer> violations, List<Violation> examples, Map<String, Integer> allowedLosses,
            Map<String, Integer> opCounts, int faults, Map<String, Integer> faultCounts) {

        /** Makes the report immutable. */
        public Report {
            violations = Collections.unmodifiableMap(new LinkedHashMap<>(violations));
            examples = List.copyOf(examples);
            allowedLosses = Collections.unmodifiableMap(new LinkedHashMap<>(allowedLosses));
            opCounts = Collections.unmodifiableMap(new LinkedHashMap<>(opCounts));
            faultCounts = Collections.unmodifiableMap(new LinkedHashMap<>(faultCounts));
        }

        /** A report without fault counts by kind. */
        public Report(Map<String, Integer> violations, List<Violation> examples, Map<String, Integer> allowedLosses,
                Map<String, Integer> opCounts, int faults) {
            this(violations, examples, allowedLosses, opCounts, faults, Map.of());
        }

        /** True when no invariant was violated. */
        public boolean ok() {
            return violations.values().stream().allMatch(n -> n == 0);
        }

        /** Number of violations of one invariant (0 for an unknown name). */
        public int count(String invariant) {
            return violations.getOrDefault(invariant, 0);
        }

        /**
         * A markdown table: operations by kind and status, faults by kind, each invariant with its number of
         * violations, and the allowed losses.
         */
        public String table() {
            StringBuilder t = new StringBuilder("| Section | Item | Count |\n|---|---|---:|\n");
            opCounts.forEach((key, n) -> row(t, "operation", key, n));
            faultCounts.forEach((kind, n) -> row(t, "fault", kind, n));
            row(t, "fault", "total", faults);
            violations.forEach((name, n) -> row(t, "invariant", name + (n == 0 ? " (ok)" : " (VIOLATED)"), n));
            allowedLosses.forEach((name, n) -> row(t, "allowed", name, n));
            return t.toString();
        }

        private static void row(StringBuilder t, String section, String item, int count) {
            t.append("| ").append(section).append(" | ").append(item).append(" | ").append(count).append(" |\n");
        }
    }

    /**
     * Checks the five invariants (see the class comment) over a finished history.
     *
     * @param ops    every op of the campaign, in any order
     * @param faults every fault of the campaign
     * @param p      what the fault model allows
     * @return counts, examples and allowed losses
     */
    public static Report check(List<Op> ops, List<Fault> faults, Params p) {
        return new Analysis(ops, faults, p).run();
    }

    /** One logical session: a sign-in and the ids it rotated through. */
    private static final class Chain {
        final int number;
        final Op signIn;
        final List<String> ids = new ArrayList<>();
        final List<Op> ops = new ArrayList<>();
        final List<Op> endings = new ArrayList<>();
        /** Each id the chain left behind, to the op whose answer replaced it. */
        final Map<String, Op> retiredBy = new HashMap<>();
        long lastIdSetAt;
        boolean possiblyEnded;

        Chain(int number, Op signIn) {
            this.number = number;
            this.signIn = signIn;
            this.ids.add(signIn.newSession());
            this.lastIdSetAt = signIn.end();
        }

        String user() {
            return signIn.user();
        }

        String current() {
            return ids.getLast();
        }

        boolean ended() {
            return !endings.isEmpty();
        }

        @Override
        public String toString() {
            return "chain #" + number + " (" + user() + ", signed in by op#" + signIn.id() + ")";
        }
    }

    /** The state of one {@link #check}. */
    private static final class Analysis {
        private final List<Op> ops;
        private final List<Fault> faults;
        private final Params p;
        private final List<Chain> chains = new ArrayList<>();
        private final Map<String, Chain> chainById = new HashMap<>();
        private final Map<String, Integer> violations = new LinkedHashMap<>();
        private final Map<String, Integer> exampleCounts = new HashMap<>();
        private final List<Violation> examples = new ArrayList<>();
        private final Map<String, Integer> allowed = new LinkedHashMap<>();

        Analysis(List<Op> ops, List<Fault> faults, Params p) {
            this.ops = ops.stream()
                    .sorted(Comparator.comparingLong(Op::start).thenComparingLong(Op::id))
                    .toList();
            this.faults = List.copyOf(faults);
            this.p = p;
            INVARIANTS.forEach(name -> violations.put(name, 0));
            ALLOWED_LOSSES.forEach(name -> allowed.put(name, 0));
        }

        Report run() {
            buildChains();
            assignOps();
            collectEndings();
            long healed = healedAt();
            for (Chain chain : chains) {
                checkIncrements(chain);
                checkServedAfterEnd(chain);
                checkServedAfterHeal(chain, healed);
            }
            for (Op op : ops) {
                checkIdentity(op);
                checkError(op);
            }
            return new Report(violations, examples, allowed, opCounts(), faults.size(), faultCounts());
        }

        // ---- chains -------------------------------------------------------------------------------------------

        /** Replays id-setting answers in the order they came, so every rotation finds the id it rotated from. */
        private void buildChains() {
            List<Op> byEnd = ops.stream()
                    .sorted(Comparator.comparingLong(Op::end).thenComparingLong(Op::id))
                    .toList();
            for (Op op : byEnd) {
                if (op.newSession() == null || !served(op)) {
                    continue;
                }
                if (op.kind() == Kind.SIGN_IN) {
                    if (op.status() == 200) {
                        startChain(op);
                    }
                } else if (!op.newSession().equals(op.session()) && chainById.containsKey(op.session())) {
                    rotate(chainById.get(op.session()), op);
                }
            }
        }

        private void startChain(Op signIn) {
            Chain chain = new Chain(chains.size() + 1, signIn);
            chains.add(chain);
            chainById.put(signIn.newSession(), chain);
        }

        private void rotate(Chain chain, Op op) {
            chain.retiredBy.putIfAbsent(op.session(), op);
            chain.ids.add(op.newSession());
            chain.lastIdSetAt = op.end();
            chainById.put(op.newSession(), chain);
        }

        /** Gives every non-sign-in op carrying a known id to that id's chain (in start order). */
        private void assignOps() {
            for (Op op : ops) {
                Chain chain = chainOf(op);
                if (chain != null) {
                    chain.ops.add(op);
                }
            }
        }

        private Chain chainOf(Op op) {
            if (op.kind() == Kind.SIGN_IN || op.session() == null) {
                return null;
            }
            return chainById.get(op.session());
        }

        /**
         * Ending events: a sign-out answered 204 ends its chain; a revocation or password change answered 204 ends
         * every other chain of the user whose sign-in had completed before it started. The same ops without an
         * answer (or with a 5xx) only possibly end those chains (and possibly rotated their own chain's id away),
         * and a completed revocation possibly ended a chain whose sign-in overlapped it.
         */
        private void collectEndings() {
            Map<String, List<Chain>> byUser = new HashMap<>();
            chains.forEach(c -> byUser.computeIfAbsent(c.user(), u -> new ArrayList<>()).add(c));
            for (Op op : ops) {
                Chain chain = chainOf(op);
                if (chain == null) {
                    continue;
                }
                switch (op.kind()) {
                    case SIGN_OUT -> endOwn(chain, op);
                    case REVOKE_OTHERS, PASSWORD_CHANGE -> endOthers(chain, op, byUser.get(chain.user()));
                    default -> { }
                }
            }
        }

        private static void endOwn(Chain chain, Op signOut) {
            if (signOut.status() == 204) {
                chain.endings.add(signOut);
            } else if (indeterminate(signOut)) {
                chain.possiblyEnded = true;
            }
        }

        private static void endOthers(Chain own, Op op, List<Chain> sameUser) {
            boolean done = op.status() == 204;
            if (!done && !indeterminate(op)) {
                return;
            }
            if (!done) {
                own.possiblyEnded = true;
            }
            for (Chain other : sameUser) {
                if (other == own || other.signIn.start() > op.end()) {
                    continue;
                }
                if (done && other.signIn.end() < op.start() && !rotatedDuring(other, op)) {
                    other.endings.add(op);
                } else {
                    other.possiblyEnded = true;
                }
            }
        }

        /**
         * Whether the chain got a new id in an op that overlapped {@code ending}: its new id's sign-in time is that
         * op's start on the server, which may come after the ending's own start (the server compares the two), so
         * the new id may rightly survive the ending (two "end my other sessions" at once: the later one wins).
         */
        private static boolean rotatedDuring(Chain chain, Op ending) {
            return chain.ops.stream().anyMatch(o -> o.newSession() != null && !o.newSession().equals(o.session())
                    && served(o) && o.start() <= ending.end() && o.end() >= ending.start());
        }

        // ---- invariant 1 --------------------------------------------------------------------------------------

        private void checkIncrements(Chain chain) {
            List<Op> acks = chain.ops.stream()
                    .filter(o -> o.kind() == Kind.INCREMENT && o.status() == 200 && o.counter() >= 0)
                    .sorted(Comparator.comparingLong(Op::end).thenComparingLong(Op::id))
                    .toList();
            List<Op> surviving = new ArrayList<>();
            for (Op ack : acks) {
                for (Iterator<Op> it = surviving.iterator(); it.hasNext(); ) {
                    Op earlier = it.next();
                    if (earlier.counter() >= ack.counter()) {
                        it.remove();
                        judgeLostIncrement(chain, earlier, ack);
                    }
                }
                surviving.add(ack);
            }
        }

        private void judgeLostIncrement(Chain chain, Op lost, Op revealer) {
            if (killAfter(lost.end(), revealer.start()).isPresent()) {
                allow(INCREMENTS_LOST);
                return;
            }
            String how = lost.counter() == revealer.counter() ? "returned the same value again (lost update)"
                    : "answered " + revealer.counter();
            violation(LOST_INCREMENTS, chain + ": " + describe(lost) + " acknowledged " + lost.counter()
                    + ", then " + describe(revealer) + " " + how + "; no redis-kill or failover started within "
                    + p.lossWindowMicros() + " µs after that ack and before the revealing op");
        }

        // ---- invariant 2 --------------------------------------------------------------------------------------

        private void checkServedAfterEnd(Chain chain) {
            boolean restored = false;
            for (Op op : chain.ops) {
                if (!served(op)) {
                    continue;
                }
                List<Op> before = chain.endings.stream().filter(e -> e.end() < op.start()).toList();
                Optional<Op> unexcused = before.stream()
                        .filter(e -> killAfter(e.end(), op.start()).isEmpty())
                        .findFirst();
                Op retired = chain.retiredBy.get(op.session());
                boolean retiredBefore = retired != null && retired.end() < op.start();
                if (unexcused.isPresent()) {
                    violation(SERVED_AFTER_END, chain + " was ended by " + describe(unexcused.get())
                            + ", yet " + describe(op) + " was served");
                } else if (retiredBefore && killAfter(retired.end(), op.start()).isEmpty()) {
                    violation(SERVED_AFTER_END, chain + " left id " + op.session() + " behind when "
                            + describe(retired) + " gave it a new one, yet " + describe(op) + " was served with it");
                } else if (!before.isEmpty() || retiredBefore) {
                    restored = true;
                }
            }
            if (restored) {
                allow(ENDED_RESTORED);
            }
        }

        // ---- invariant 3 --------------------------------------------------------------------------------------

        private void checkIdentity(Op op) {
            if (op.identity() != null && !op.identity().equals(op.user())) {
                violation(FOREIGN_IDENTITY, describe(op) + " of user " + op.user() + " was answered as "
                        + op.identity());
            }
        }

        // ---- invariant 4 --------------------------------------------------------------------------------------

        private void checkError(Op op) {
            int s = op.status();
            boolean tolerable = s == 0 || s == 502 || s == 503 || s == 504;
            if ((s >= 500 && !tolerable) || s == 404) {
                violation(ERRORS_OUTSIDE_FAULTS, describe(op) + ": status " + s + " is never allowed");
            } else if (tolerable && !duringFault(op)) {
                violation(ERRORS_OUTSIDE_FAULTS, describe(op) + ": " + (s == 0 ? "no answer" : "status " + s)
                        + " while no fault was active or recovering");
            }
        }

        private boolean duringFault(Op op) {
            return faults.stream()
                    .anyMatch(f -> op.start() <= plus(f.end(), p.recoveryMicros()) && op.end() >= f.start());
        }

        // ---- invariant 5 --------------------------------------------------------------------------------------

        private long healedAt() {
            return faults.stream().mapToLong(Fault::end).max().orElse(0);
        }

        private void checkServedAfterHeal(Chain chain, long healed) {
            String id = chain.current();
            if (chain.ended() || chain.ops.stream().noneMatch(o -> id.equals(o.session()))) {
                return;
            }
            List<Op> reads = chain.ops.stream()
                    .filter(o -> id.equals(o.session()) && isRead(o) && o.start() >= healed)
                    .toList();
            long deadline = plus(healed, p.finalWithinMicros());
            if (reads.stream().anyMatch(o -> o.status() == 200 && o.end() <= deadline)) {
                return;
            }
            Optional<Op> refused = reads.stream().filter(o -> o.status() == 401).findFirst();
            if (refused.isPresent()) {
                judgeRefusedAfterHeal(chain, refused.get());
            } else if (reads.isEmpty()) {
                violation(NOT_SERVED_AFTER_HEAL, chain + " is live but its current id was never read after the "
                        + "last heal at " + healed + " µs (the runner must read every live chain)");
            } else {
                violation(NOT_SERVED_AFTER_HEAL, chain + " was not served by " + deadline + " µs; reads after the "
                        + "heal: " + reads.stream().map(Analysis::describe).toList());
            }
        }

        private void judgeRefusedAfterHeal(Chain chain, Op refused) {
            if (killAfter(chain.lastIdSetAt, refused.start()).isPresent()) {
                allow(SESSIONS_LOST);
            } else if (chain.possiblyEnded) {
                allow(POSSIBLY_ENDED);
            } else {
                violation(NOT_SERVED_AFTER_HEAL, chain + " is live but " + describe(refused) + " was refused; its "
                        + "id was set at " + chain.lastIdSetAt + " µs, not within " + p.lossWindowMicros()
                        + " µs before any redis-kill or failover");
            }
        }

        private static boolean isRead(Op op) {
            return op.kind() == Kind.FINAL_READ || op.kind() == Kind.READ || op.kind() == Kind.INCREMENT;
        }

        // ---- shared -------------------------------------------------------------------------------------------

        /**
         * A fault that may have lost a write acknowledged at {@code ackedAt} (a Redis kill or a failover): the ack
         * came within the loss window before the fault started, or while it could still lose writes
         * ({@link Fault#lossesUntil()}), and the fault started before {@code before} (the op that noticed the loss).
         */
        private Optional<Fault> killAfter(long ackedAt, long before) {
            return faults.stream()
                    .filter(Fault::mayLoseWrites)
                    .filter(f -> f.start() - p.lossWindowMicros() <= ackedAt && ackedAt <= f.lossesUntil())
                    .filter(f -> f.start() < before)
                    .findFirst();
        }

        private void violation(String invariant, String detail) {
            violations.merge(invariant, 1, Integer::sum);
            if (exampleCounts.merge(invariant, 1, Integer::sum) <= EXAMPLES_PER_INVARIANT) {
                examples.add(new Violation(invariant, detail));
            }
        }

        private void allow(String loss) {
            allowed.merge(loss, 1, Integer::sum);
        }

        private Map<String, Integer> opCounts() {
            Map<String, Integer> counts = new LinkedHashMap<>();
            ops.stream()
                    .sorted(Comparator.comparing(Op::kind).thenComparingInt(Op::status))
                    .forEach(o -> counts.merge(o.kind() + " " + o.status(), 1, Integer::sum));
            return counts;
        }

        private Map<String, Integer> faultCounts() {
            Map<String, Integer> counts = new TreeMap<>();
            faults.forEach(f -> counts.merge(f.kind(), 1, Integer::sum));
            return counts;
        }

        private static boolean served(Op op) {
            return op.status() == 200 || op.status() == 204;
        }

        private static boolean indeterminate(Op op) {
            return op.status() == 0 || op.status() >= 500;
        }

        private static long plus(long a, long b) {
            long sum = a + b;
            return sum < a ? Long.MAX_VALUE : sum;
        }

        private static String describe(Op op) {
            return "op#" + op.id() + " " + op.kind() + " by client " + op.client() + " via " + op.target() + " ["
                    + op.start() + ".." + op.end() + "] -> " + (op.status() == 0 ? "no answer" : op.status())
                    + (op.error() == null ? "" : " " + op.error());
        }
    }
}
