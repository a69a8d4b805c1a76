package org.redsession.account;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The password-hashing bulkhead, with plain threads (its CDI wiring is covered by the sign-in ITs). */
class PasswordHashingTest {
    private final AtomicInteger refusals = new AtomicInteger();
    private final List<PasswordHashing> started = new ArrayList<>();

    private PasswordHashing bulkhead(int concurrency, Duration maxWait) {
        PasswordHashing h = new PasswordHashing(Thread::new, concurrency, maxWait, refusals::incrementAndGet);
        started.add(h);
        return h;
    }

    @AfterEach
    void stop() {
        started.forEach(PasswordHashing::stop);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void neverRunsMoreTasksAtOnceThanItsConcurrency_andRunsThemAll() throws Exception {
        PasswordHashing h = bulkhead(2, Duration.ofSeconds(30));
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int n = i;
            results.add(h.submit(() -> {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                sleep(20);
                running.decrementAndGet();
                return n;
            }));
        }
        for (int i = 0; i < 12; i++) {
            assertEquals(i, results.get(i).get(10, TimeUnit.SECONDS));
        }
        assertEquals(2, most.get(), "tasks running at once");
        assertEquals(0, refusals.get());
    }

    @Test
    void aFailure_isDeliveredAsThrown_notWrapped() {
        PasswordHashing h = bulkhead(1, Duration.ofSeconds(5));
        IllegalStateException thrown = new IllegalStateException("store down");
        CompletableFuture<Object> f = h.submit(() -> {
            throw thrown;
        });
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertSame(thrown, e.getCause());
        assertSame(thrown, assertThrows(IllegalStateException.class, () -> h.call(() -> {
            throw thrown;
        })));
    }

    @Test
    void call_fromAHashingThread_runsInline_soNestedHashingCannotDeadlock() throws Exception {
        PasswordHashing h = bulkhead(1, Duration.ofSeconds(5));
        CompletableFuture<String> f = h.submit(() -> h.call(() -> Thread.currentThread().getName()));
        assertTrue(f.get(5, TimeUnit.SECONDS).startsWith("password-hash-"));
    }

    @Test
    void workThatWouldWaitLongerThanMaxWait_isRefusedAtOnce_withARetryAfter() throws Exception {
        PasswordHashing h = bulkhead(1, Duration.ofMillis(300));
        h.submit(() -> {
            sleep(100);
            return null;
        }).get(5, TimeUnit.SECONDS); // the average task now takes about 100 ms
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Object> blocker = h.submit(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        List<CompletableFuture<Object>> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queued.add(h.submit(() -> null));
        }
        // About 3 fit in 300 ms of estimated wait (100 ms each); the rest are refused without waiting.
        long refusedAtOnce = queued.stream().filter(CompletableFuture::isCompletedExceptionally).count();
        assertTrue(refusedAtOnce >= 5, "refused at once: " + refusedAtOnce);
        ExecutionException e = assertThrows(ExecutionException.class, () -> queued.get(9).get(1, TimeUnit.SECONDS));
        PasswordHashingBusyException busy = assertInstanceOf(PasswordHashingBusyException.class, e.getCause());
        assertTrue(busy.retryAfterSeconds() >= 1);
        assertEquals(refusedAtOnce, refusals.get());
        release.countDown();
        blocker.get(5, TimeUnit.SECONDS);
    }

    @Test
    void workThatWaitedLongerThanMaxWait_isRefusedInsteadOfRun() throws Exception {
        PasswordHashing h = bulkhead(1, Duration.ofMillis(200));
        CountDownLatch release = new CountDownLatch(1);
        h.submit(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        AtomicInteger ran = new AtomicInteger();
        CompletableFuture<Object> late = h.submit(() -> ran.incrementAndGet()); // no average yet: admitted
        sleep(400);
        release.countDown();
        ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(5, TimeUnit.SECONDS));
        assertInstanceOf(PasswordHashingBusyException.class, e.getCause());
        assertEquals(0, ran.get(), "the late task must not run");
        assertFalse(refusals.get() == 0);
    }
}
