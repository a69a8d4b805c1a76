package org.redsession.testsupport;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition every 50 to 200 ms until it holds or a timeout passes. */
public final class Poll {

    private static final long FIRST_PAUSE_MS = 50;
    private static final long MAX_PAUSE_MS = 200;

    private Poll() {
    }

    /**
     * Waits until {@code condition} returns true. Exceptions thrown by the condition count as false (the last one
     * becomes the cause of the timeout error); {@link Error}s such as a fail-fast {@link AssertionError} propagate.
     * A lambda that only throws matches both overloads: cast it to {@code BooleanSupplier}.
     *
     * @throws AssertionError "timed out after ...: " + what
     */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        until(timeout, what, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /**
     * Waits until {@code probe} returns a non-empty Optional and returns its value. Exceptions thrown by the probe
     * count as empty (the last one becomes the cause of the timeout error); {@link Error}s propagate.
     *
     * @throws AssertionError "timed out after ...: " + what
     */
    public static <T> T until(Duration timeout, String what, Supplier<Optional<T>> probe) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long pauseMs = FIRST_PAUSE_MS;
        Exception lastFailure = null;
        while (true) {
            try {
                Optional<T> result = probe.get();
                if (result != null && result.isPresent()) {
                    return result.get();
                }
            } catch (Exception e) {
                lastFailure = e;
            }
            long remainingNanos = deadline - System.nanoTime();
            if (remainingNanos <= 0) {
                Duration waited = Duration.ofNanos(System.nanoTime() - start);
                AssertionError error = new AssertionError("timed out after " + waited.toMillis() + " ms: " + what);
                if (lastFailure != null) {
                    error.initCause(lastFailure);
                }
                throw error;
            }
            try {
                Thread.sleep(Math.max(1, Math.min(pauseMs, Duration.ofNanos(remainingNanos).toMillis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                AssertionError error = new AssertionError("interrupted while waiting: " + what);
                error.initCause(e);
                throw error;
            }
            pauseMs = Math.min(MAX_PAUSE_MS, pauseMs * 2);
        }
    }
}
