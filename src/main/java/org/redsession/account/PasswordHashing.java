package org.redsession.account;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.redsession.config.AccountSettings;
import org.redsession.metrics.SessionMetrics;

/**
 * The bulkhead around password hashing. PBKDF2 is slow on purpose (tens to hundreds of milliseconds of CPU per
 * check), so a burst of sign-ins could otherwise take every core and every HTTP thread away from the requests that
 * only use their session. Work that hashes runs here: at most {@code security.password-hash.concurrency} tasks at
 * once (default one per core), on threads of their own; more wait in a first-come, first-served queue, holding no
 * HTTP thread when submitted with {@link #submit}. A task that would wait longer than
 * {@code security.password-hash.max-wait} (estimated from the queue and the measured time per task) is refused at
 * once with {@link PasswordHashingBusyException} (503 {@code server_busy} with {@code Retry-After}), and so is one
 * that has waited that long anyway: a sustained overload gets quick answers instead of a growing queue.
 *
 * <p>Thread-safe. Code already running here (a task that calls {@link #call}) runs inline.
 */
@ApplicationScoped
public class PasswordHashing {
    private static final Logger LOG = Logger.getLogger(PasswordHashing.class.getName());
    /** Hard cap of waiting tasks, whatever the estimate says (it is zero until the first task has run). */
    private static final int MAX_QUEUED = 10_000;
    private static final ThreadLocal<Boolean> HASHING_THREAD = ThreadLocal.withInitial(() -> Boolean.FALSE);

    @Resource
    ManagedThreadFactory threads;
    @Inject
    AccountSettings settings;
    @Inject
    SessionMetrics metrics;

    private ThreadPoolExecutor executor;
    private int concurrency;
    private long maxWaitNanos;
    private Runnable onRefused;
    /** Moving average of the time one task takes on its thread (nanoseconds); 0 until one has run. */
    private final AtomicLong taskNanos = new AtomicLong();

    /** For CDI. */
    public PasswordHashing() {
    }

    /** For tests: threads from {@code threadFactory}, {@code onRefused} told of every refusal. */
    PasswordHashing(ThreadFactory threadFactory, int concurrency, Duration maxWait, Runnable onRefused) {
        init(threadFactory, concurrency, maxWait, onRefused);
    }

    @PostConstruct
    void start() {
        init(threads, settings.passwordHashConcurrency(), settings.passwordHashMaxWait(), metrics::passwordHashRefused);
        LOG.info(() -> "Password hashing: " + concurrency + " at once, at most " + settings.passwordHashMaxWait()
                + " in the queue");
    }

    private void init(ThreadFactory threadFactory, int threadCount, Duration maxWait, Runnable refusedListener) {
        concurrency = threadCount;
        maxWaitNanos = maxWait.toNanos();
        onRefused = refusedListener;
        AtomicInteger n = new AtomicInteger();
        executor = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(MAX_QUEUED), r -> {
                    Thread t = threadFactory.newThread(() -> {
                        HASHING_THREAD.set(Boolean.TRUE);
                        r.run();
                    });
                    t.setName("password-hash-" + n.incrementAndGet());
                    return t;
                });
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }

    /**
     * Runs {@code work} on a hashing thread. The returned stage completes with its result, or exceptionally with
     * exactly what it threw (not wrapped), or with {@link PasswordHashingBusyException} if it was refused.
     */
    public <T> CompletableFuture<T> submit(Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        long queued = System.nanoTime();
        if (estimatedWaitNanos() > maxWaitNanos) {
            result.completeExceptionally(refused());
            return result;
        }
        try {
            executor.execute(() -> {
                long started = System.nanoTime();
                if (started - queued > maxWaitNanos) {
                    result.completeExceptionally(refused());
                    return;
                }
                T value = null;
                Throwable failure = null;
                try {
                    value = work.get();
                } catch (Throwable t) {
                    failure = t;
                }
                // Measured before the caller hears of the result: its next submit already sees this task's time.
                record(System.nanoTime() - started);
                if (failure == null) {
                    result.complete(value);
                } else {
                    result.completeExceptionally(failure);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(refused());
        }
        return result;
    }

    /**
     * Runs {@code work} under the bulkhead and waits for it: inline when the caller is already a hashing thread,
     * else on one (the caller's thread waits).
     *
     * @throws PasswordHashingBusyException if it was refused
     */
    public <T> T call(Supplier<T> work) {
        if (HASHING_THREAD.get()) {
            return work.get();
        }
        try {
            return submit(work).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PasswordHashingBusyException(1);
        }
    }

    /** How long a task submitted now would wait before a thread takes it, by the queue and the average task. */
    long estimatedWaitNanos() {
        return executor.getQueue().size() * taskNanos.get() / concurrency;
    }

    private void record(long nanos) {
        // Exponential moving average (weight 1/8): follows a change of hashing cost or machine load within tens of tasks.
        taskNanos.updateAndGet(avg -> avg == 0 ? nanos : avg + (nanos - avg) / 8);
    }

    private PasswordHashingBusyException refused() {
        onRefused.run();
        long seconds = Math.max(1, (estimatedWaitNanos() + 999_999_999L) / 1_000_000_000L);
        return new PasswordHashingBusyException(Math.min(seconds, 30));
    }
}
