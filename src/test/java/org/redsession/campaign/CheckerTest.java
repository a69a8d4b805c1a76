package org.redsession.campaign;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redsession.campaign.Checker.Params;
import org.redsession.campaign.Checker.Report;
import org.redsession.campaign.History.Fault;
import org.redsession.campaign.History.Kind;
import org.redsession.campaign.History.Op;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The campaign {@link Checker} on small synthetic histories: a clean one, one broken history per invariant, and the
 * cases the fault model allows. Times are written in milliseconds and recorded in microseconds.
 */
class CheckerTest {

    /** Loss window 1.5 s, recovery 2 s, final reads within 5 s of the last heal. */
    private static final Params PARAMS = new Params(ms(1_500), ms(2_000), ms(5_000));

    private final List<Op> ops = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private long nextId;

    // ---- a clean history ---------------------------------------------------------------------------------------

    @Test
    void cleanHistoryHasNoViolations() {
        // alice on two clients, bob on one; a Redis pause with a 503 inside it and a timeout right after it.
        signIn(1, "alice", 0, 10, "a1");
        signIn(2, "alice", 5, 20, "b1");
        signIn(3, "bob", 0, 15, "c1");
        increment(1, "alice", "a1", 100, 110, 1);
        increment(1, "alice", "a1", 200, 210, 2);
        increment(3, "bob", "c1", 100, 120, 1);
        read(2, "alice", "b1", 100, 130, 200);
        fault(Fault.REDIS_PAUSE, "redis", 300, 800);
        answer(1, "alice", Kind.INCREMENT, "a1", 350, 400, 503, "session_store_unavailable");
        answer(3, "bob", Kind.READ, "c1", 790, 2_700, 0, null);
        increment(1, "alice", "a1", 900, 950, 3);
        revokeOthers(1, "alice", "a1", 1_000, 1_050, "a2");
        read(2, "alice", "b1", 1_100, 1_120, 401);
        increment(1, "alice", "a2", 1_200, 1_210, 4);
        passwordChange(3, "bob", "c1", 1_300, 1_350, "c2");
        increment(3, "bob", "c2", 1_400, 1_420, 2);
        signIn(3, "bob", 1_500, 1_520, "c3");
        signOut(3, "bob", "c3", 1_600, 1_610, 204);
        finalRead(1, "alice", "a2", 3_000, 3_010, 200);
        finalRead(3, "bob", "c2", 3_000, 3_020, 200);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(Checker.INVARIANTS, List.copyOf(report.violations().keySet()));
        report.violations().values().forEach(n -> assertEquals(0, n));
        report.allowedLosses().values().forEach(n -> assertEquals(0, n));
        assertTrue(report.examples().isEmpty());
        assertEquals(6, report.opCounts().get("INCREMENT 200"));
        assertEquals(1, report.opCounts().get("INCREMENT 503"));
        assertEquals(1, report.faults());
    }

    @Test
    void emptyHistoryReportsEveryInvariant() {
        Report report = check();

        assertTrue(report.ok());
        assertEquals(Checker.INVARIANTS, List.copyOf(report.violations().keySet()));
        assertEquals(Checker.ALLOWED_LOSSES, List.copyOf(report.allowedLosses().keySet()));
    }

    // ---- invariant 1: lost-increments --------------------------------------------------------------------------

    @Test
    void counterGoingBackWithoutFaultIsLostIncrements() {
        signIn(1, "alice", 0, 10, "a1");
        for (int v = 1; v <= 5; v++) {
            increment(1, "alice", "a1", 100L * v, 100L * v + 10, v);
        }
        increment(1, "alice", "a1", 700, 710, 3);
        finalRead(1, "alice", "a1", 800, 810, 200);

        Report report = check();

        assertEquals(3, report.count(Checker.LOST_INCREMENTS), "acks 3, 4 and 5 were lost");
        assertOnly(report, Checker.LOST_INCREMENTS);
    }

    @Test
    void duplicateCounterValueIsLostUpdate() {
        signIn(1, "alice", 0, 10, "a1");
        increment(1, "alice", "a1", 100, 110, 1);
        increment(1, "alice", "a1", 200, 210, 2);
        increment(1, "alice", "a1", 300, 310, 2);
        finalRead(1, "alice", "a1", 400, 410, 200);

        Report report = check();

        assertEquals(1, report.count(Checker.LOST_INCREMENTS));
        assertTrue(report.examples().getFirst().detail().contains("same value"));
    }

    @Test
    void incrementsAcknowledgedJustBeforeRedisKillMayBeLost() {
        signIn(1, "alice", 0, 10, "a1");
        increment(1, "alice", "a1", 100, 110, 1);
        increment(1, "alice", "a1", 4_000, 4_010, 2);
        increment(1, "alice", "a1", 4_500, 4_510, 3);
        fault(Fault.REDIS_KILL, "redis", 5_000, 6_000);
        answer(1, "alice", Kind.INCREMENT, "a1", 5_100, 5_200, 503, "session_store_unavailable");
        increment(1, "alice", "a1", 6_100, 6_110, 2);
        increment(1, "alice", "a1", 6_200, 6_210, 3);
        finalRead(1, "alice", "a1", 6_300, 6_310, 200);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(2, report.allowedLosses().get(Checker.INCREMENTS_LOST), "values 2 and 3 of before the kill");
    }

    @Test
    void incrementsAcknowledgedLongBeforeRedisKillMustSurvive() {
        signIn(1, "alice", 0, 10, "a1");
        increment(1, "alice", "a1", 100, 110, 1);
        increment(1, "alice", "a1", 3_000, 3_010, 2);
        fault(Fault.REDIS_KILL, "redis", 5_000, 6_000);
        increment(1, "alice", "a1", 6_100, 6_110, 2);
        finalRead(1, "alice", "a1", 6_300, 6_310, 200);

        Report report = check();

        assertEquals(1, report.count(Checker.LOST_INCREMENTS), "acked 2 s before the kill: outside the window");
        assertEquals(0, report.allowedLosses().get(Checker.INCREMENTS_LOST));
    }

    @Test
    void incrementsAcknowledgedByAFrozenPrimaryUntilItWasDemotedMayBeLost() {
        // Sentinel: the primary froze at 5 s, a replica was promoted, the old primary woke and acknowledged an
        // increment at 6.5 s before it was turned into a replica at 7 s (the fault's end): that one may be lost.
        signIn(1, "alice", 0, 10, "a1");
        increment(1, "alice", "a1", 100, 110, 1);
        fault(Fault.PRIMARY_PAUSE, "redis:6380", 5_000, 7_000);
        increment(1, "alice", "a1", 6_400, 6_500, 2);
        increment(1, "alice", "a1", 7_100, 7_110, 2);
        finalRead(1, "alice", "a1", 7_300, 7_310, 200);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(1, report.allowedLosses().get(Checker.INCREMENTS_LOST));
    }

    @Test
    void aKilledPrimaryAcknowledgesNothingAfterItsKill_soLaterLossesAreViolations() {
        // A SIGKILLed primary cannot acknowledge after the kill: an ack at 6.5 s came from the new primary and
        // must survive, even though the fault (the topology whole again) ends only at 7 s.
        signIn(1, "alice", 0, 10, "a1");
        increment(1, "alice", "a1", 100, 110, 1);
        fault(Fault.PRIMARY_KILL, "redis:6380", 5_000, 7_000);
        increment(1, "alice", "a1", 6_400, 6_500, 2);
        increment(1, "alice", "a1", 7_100, 7_110, 2);
        finalRead(1, "alice", "a1", 7_300, 7_310, 200);

        assertEquals(1, check().count(Checker.LOST_INCREMENTS));
    }

    @Test
    void aReplicaKillLosesNothing() {
        signIn(1, "alice", 0, 10, "a1");
        increment(1, "alice", "a1", 4_000, 4_010, 1);
        fault(Fault.REPLICA_KILL, "redis:6381", 4_500, 6_000);
        increment(1, "alice", "a1", 6_100, 6_110, 1);
        finalRead(1, "alice", "a1", 6_300, 6_310, 200);

        assertEquals(1, check().count(Checker.LOST_INCREMENTS), "the primary kept everything");
    }

    @Test
    void lossRevealedBeforeTheKillIsNotExcusedByIt() {
        signIn(1, "alice", 0, 10, "a1");
        increment(1, "alice", "a1", 100, 110, 1);
        increment(1, "alice", "a1", 200, 210, 1);
        fault(Fault.REDIS_KILL, "redis", 1_000, 2_000);
        finalRead(1, "alice", "a1", 2_100, 2_110, 200);

        assertEquals(1, check().count(Checker.LOST_INCREMENTS));
    }

    @Test
    void twoRevocationsAtOnce_theLaterOnesSessionRightlySurvives() {
        // Found in a long run: both chains ended the user's other sessions at the same time; the server compares the
        // requests' start times, so b's new id (its request started later) survives a's revocation.
        signIn(1, "alice", 0, 10, "a1");
        signIn(2, "alice", 0, 20, "b1");
        revokeOthers(1, "alice", "a1", 100, 190, "a2");
        revokeOthers(2, "alice", "b1", 110, 200, "b2");
        increment(2, "alice", "b2", 300, 310, 1);
        read(1, "alice", "a2", 300, 320, 401);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(0, report.count(Checker.SERVED_AFTER_END));
    }

    @Test
    void aRotationBeforeTheRevocationDoesNotSaveTheChain() {
        signIn(1, "alice", 0, 10, "a1");
        signIn(2, "alice", 0, 20, "b1");
        revokeOthers(2, "alice", "b1", 50, 60, "b2");
        revokeOthers(1, "alice", "a1", 100, 190, "a2");
        increment(2, "alice", "b2", 300, 310, 1);

        // b's rotation ended before a's revocation started: b2 is ended by it and must not be served (and a, ended
        // by b's revocation at 60, must not have been served at 100 either).
        Report report = check();
        assertEquals(2, report.count(Checker.SERVED_AFTER_END), report::toString);
        assertTrue(report.examples().stream().anyMatch(v -> v.detail().contains("op#")
                && v.detail().contains("INCREMENT")), report::toString);
    }

    @Test
    void anIdLeftBehindByARotationThatIsServedAgainIsViolation() {
        signIn(1, "alice", 0, 10, "a1");
        passwordChange(1, "alice", "a1", 100, 110, "a2");
        read(1, "alice", "a1", 200, 210, 200); // the old cookie replayed: must be refused
        read(1, "alice", "a1", 300, 310, 401);
        finalRead(1, "alice", "a2", 400, 410, 200);

        Report report = check();

        assertEquals(1, report.count(Checker.SERVED_AFTER_END), report::toString);
        assertTrue(report.examples().getFirst().detail().contains("left id a1 behind"));
        assertOnly(report, Checker.SERVED_AFTER_END);
    }

    @Test
    void anIdLeftBehindJustBeforeAFailoverMayComeBack() {
        signIn(1, "alice", 0, 10, "a1");
        revokeOthers(1, "alice", "a1", 4_000, 4_010, "a2");
        fault(Fault.PRIMARY_KILL, "redis:6380", 5_000, 6_000);
        read(1, "alice", "a1", 6_100, 6_110, 200);
        finalRead(1, "alice", "a2", 6_200, 6_210, 200);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(1, report.allowedLosses().get(Checker.ENDED_RESTORED));
    }

    @Test
    void counterContinuesAcrossIdRotation() {
        signIn(1, "alice", 0, 10, "a1");
        increment(1, "alice", "a1", 100, 110, 1);
        increment(1, "alice", "a1", 200, 210, 2);
        revokeOthers(1, "alice", "a1", 300, 310, "a2");
        increment(1, "alice", "a2", 400, 410, 2);
        finalRead(1, "alice", "a2", 500, 510, 200);

        Report report = check();

        assertEquals(1, report.count(Checker.LOST_INCREMENTS), "a2 continues a1's chain, so 2 repeats");
        assertOnly(report, Checker.LOST_INCREMENTS);
    }

    @Test
    void separateChainsHaveSeparateCounters() {
        signIn(1, "alice", 0, 10, "a1");
        signIn(2, "alice", 0, 10, "b1");
        increment(1, "alice", "a1", 100, 110, 1);
        increment(2, "alice", "b1", 100, 120, 1);
        increment(1, "alice", "a1", 200, 210, 2);
        increment(2, "alice", "b1", 200, 220, 2);
        finalRead(1, "alice", "a1", 300, 310, 200);
        finalRead(2, "alice", "b1", 300, 310, 200);

        assertTrue(check().ok());
    }

    // ---- invariant 2: served-after-end -------------------------------------------------------------------------

    @Test
    void sessionServedAfterSignOutIsViolation() {
        signIn(1, "alice", 0, 10, "a1");
        signOut(1, "alice", "a1", 100, 110, 204);
        read(1, "alice", "a1", 200, 210, 200);
        increment(1, "alice", "a1", 300, 310, 1);

        Report report = check();

        assertEquals(2, report.count(Checker.SERVED_AFTER_END), "the read and the increment");
        assertOnly(report, Checker.SERVED_AFTER_END);
    }

    @Test
    void sessionRefusedAfterSignOutIsFine() {
        signIn(1, "alice", 0, 10, "a1");
        signOut(1, "alice", "a1", 100, 110, 204);
        read(1, "alice", "a1", 200, 210, 401);
        signOut(1, "alice", "a1", 300, 310, 401);

        assertTrue(check().ok());
    }

    @Test
    void signOutAcknowledgedJustBeforeRedisKillMayBeUndone() {
        signIn(1, "alice", 0, 10, "a1");
        signOut(1, "alice", "a1", 4_000, 4_010, 204);
        fault(Fault.REDIS_KILL, "redis", 5_000, 6_000);
        read(1, "alice", "a1", 6_100, 6_110, 200);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(1, report.allowedLosses().get(Checker.ENDED_RESTORED));
    }

    @Test
    void signOutAcknowledgedJustBeforeAFailoverMayBeUndone() {
        signIn(1, "alice", 0, 10, "a1");
        signOut(1, "alice", "a1", 4_000, 4_010, 204);
        fault(Fault.FAILOVER, "redis:6380", 5_000, 6_000);
        read(1, "alice", "a1", 6_100, 6_110, 200);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(1, report.allowedLosses().get(Checker.ENDED_RESTORED));
    }

    @Test
    void signOutLongBeforeRedisKillMustHold() {
        signIn(1, "alice", 0, 10, "a1");
        signOut(1, "alice", "a1", 1_000, 1_010, 204);
        fault(Fault.REDIS_KILL, "redis", 5_000, 6_000);
        read(1, "alice", "a1", 6_100, 6_110, 200);

        assertEquals(1, check().count(Checker.SERVED_AFTER_END));
    }

    @Test
    void revokeOthersEndsTheUsersOtherChains() {
        signIn(1, "alice", 0, 10, "a1");
        signIn(2, "alice", 20, 30, "b1");
        signIn(3, "bob", 20, 30, "c1");
        revokeOthers(1, "alice", "a1", 100, 110, "a2");
        read(2, "alice", "b1", 200, 210, 200);
        read(3, "bob", "c1", 200, 210, 200);
        read(1, "alice", "a2", 200, 210, 200);
        finalRead(1, "alice", "a2", 300, 310, 200);
        finalRead(3, "bob", "c1", 300, 310, 200);

        Report report = check();

        assertEquals(1, report.count(Checker.SERVED_AFTER_END), "only alice's other chain b1");
        assertOnly(report, Checker.SERVED_AFTER_END);
        assertTrue(report.examples().getFirst().detail().contains("REVOKE_OTHERS"));
    }

    @Test
    void passwordChangeEndsTheUsersOtherChains() {
        signIn(1, "alice", 0, 10, "a1");
        signIn(2, "alice", 20, 30, "b1");
        passwordChange(1, "alice", "a1", 100, 110, "a2");
        increment(2, "alice", "b1", 200, 210, 1);
        finalRead(1, "alice", "a2", 300, 310, 200);

        assertEquals(1, check().count(Checker.SERVED_AFTER_END));
    }

    @Test
    void chainSignedInConcurrentlyWithRevokeIsNotJudged() {
        signIn(1, "alice", 0, 10, "a1");
        signIn(2, "alice", 90, 120, "b1"); // completes after the revoke started
        signIn(3, "alice", 200, 210, "d1"); // starts after the revoke answered
        revokeOthers(1, "alice", "a1", 100, 110, "a2");
        read(2, "alice", "b1", 300, 310, 200);
        read(3, "alice", "d1", 300, 310, 200);
        finalRead(1, "alice", "a2", 400, 410, 200);
        finalRead(2, "alice", "b1", 400, 410, 200);
        finalRead(3, "alice", "d1", 400, 410, 200);

        assertTrue(check().ok());
    }

    @Test
    void concurrentlySignedInChainRefusedAfterHealIsExcused() {
        signIn(1, "alice", 0, 10, "a1");
        signIn(2, "alice", 90, 120, "b1");
        revokeOthers(1, "alice", "a1", 100, 110, "a2");
        read(2, "alice", "b1", 300, 310, 401);
        finalRead(1, "alice", "a2", 400, 410, 200);
        finalRead(2, "alice", "b1", 400, 410, 401);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(1, report.allowedLosses().get(Checker.POSSIBLY_ENDED));
    }

    @Test
    void opOverlappingTheEndingIsNotJudged() {
        signIn(1, "alice", 0, 10, "a1");
        signIn(2, "alice", 20, 30, "b1");
        read(2, "alice", "b1", 95, 130, 200); // started before the revoke answered
        revokeOthers(1, "alice", "a1", 100, 110, "a2");
        finalRead(1, "alice", "a2", 400, 410, 200);

        assertTrue(check().ok());
    }

    // ---- invariant 3: foreign-identity -------------------------------------------------------------------------

    @Test
    void answerWithAnotherUsersIdentityIsViolation() {
        signIn(1, "alice", 0, 10, "a1");
        add(1, "alice", Kind.READ, "a1", 100, 110, 200, null, null, "bob", -1);
        finalRead(1, "alice", "a1", 200, 210, 200);

        Report report = check();

        assertEquals(1, report.count(Checker.FOREIGN_IDENTITY));
        assertOnly(report, Checker.FOREIGN_IDENTITY);
    }

    @Test
    void signInAnsweredAsAnotherUserIsViolation() {
        add(1, "alice", Kind.SIGN_IN, null, 0, 10, 200, null, "a1", "bob", -1);
        finalRead(1, "alice", "a1", 200, 210, 200);

        assertEquals(1, check().count(Checker.FOREIGN_IDENTITY));
    }

    // ---- invariant 4: errors-outside-faults --------------------------------------------------------------------

    @Test
    void status500IsAlwaysViolation() {
        fault(Fault.REDIS_PAUSE, "redis", 0, 1_000);
        answer(1, "alice", Kind.SIGN_IN, null, 100, 200, 500, "internal_error");
        answer(1, "alice", Kind.SIGN_IN, null, 300, 400, 501, null);

        Report report = check();

        assertEquals(2, report.count(Checker.ERRORS_OUTSIDE_FAULTS));
        assertOnly(report, Checker.ERRORS_OUTSIDE_FAULTS);
    }

    @Test
    void status404IsAlwaysViolation_theCampaignCallsOnlyEndpointsThatExist() {
        // A starting instance answering before its application is deployed (Payara's own 404 page).
        fault(Fault.INSTANCE_KILL, "app1", 0, 1_000);
        answer(1, "alice", Kind.SIGN_IN, null, 100, 200, 404, null);

        assertEquals(1, check().count(Checker.ERRORS_OUTSIDE_FAULTS));
    }

    @Test
    void unavailableWithoutFaultIsViolation() {
        answer(1, "alice", Kind.SIGN_IN, null, 100, 200, 503, "session_store_unavailable");
        answer(2, "alice", Kind.SIGN_IN, null, 100, 200, 0, null);
        answer(3, "alice", Kind.SIGN_IN, null, 100, 200, 502, null);
        answer(4, "alice", Kind.SIGN_IN, null, 100, 200, 504, null);

        assertEquals(4, check().count(Checker.ERRORS_OUTSIDE_FAULTS));
    }

    @Test
    void unavailableDuringFaultOrRecoveryIsFine() {
        fault(Fault.PARTITION_REDIS, "app2", 1_000, 2_000);
        answer(1, "alice", Kind.SIGN_IN, null, 900, 1_001, 503, "session_store_unavailable"); // overlaps the start
        answer(2, "alice", Kind.SIGN_IN, null, 1_500, 1_600, 0, null); // inside
        answer(3, "alice", Kind.SIGN_IN, null, 3_900, 4_000, 504, null); // within 2 s of recovery

        assertTrue(check().ok());
    }

    @Test
    void unavailableAfterRecoveryIsViolation() {
        fault(Fault.INSTANCE_KILL, "app1", 1_000, 2_000);
        answer(1, "alice", Kind.SIGN_IN, null, 4_001, 4_100, 503, "session_store_unavailable");
        answer(2, "alice", Kind.SIGN_IN, null, 500, 999, 502, null);

        assertEquals(2, check().count(Checker.ERRORS_OUTSIDE_FAULTS));
    }

    @Test
    void examplesAreCappedPerInvariant() {
        for (int i = 0; i < 25; i++) {
            answer(i, "alice", Kind.SIGN_IN, null, i * 10L, i * 10L + 5, 500, null);
        }

        Report report = check();

        assertEquals(25, report.count(Checker.ERRORS_OUTSIDE_FAULTS));
        assertEquals(Checker.EXAMPLES_PER_INVARIANT, report.examples().size());
    }

    // ---- invariant 5: not-served-after-heal --------------------------------------------------------------------

    @Test
    void liveChainRefusedAfterHealWithoutKillIsViolation() {
        signIn(1, "alice", 0, 10, "a1");
        read(1, "alice", "a1", 100, 110, 200);
        fault(Fault.REDIS_PAUSE, "redis", 1_000, 2_000);
        finalRead(1, "alice", "a1", 2_100, 2_110, 401);

        Report report = check();

        assertEquals(1, report.count(Checker.NOT_SERVED_AFTER_HEAL));
        assertOnly(report, Checker.NOT_SERVED_AFTER_HEAL);
    }

    @Test
    void chainSignedInJustBeforeRedisKillMayBeLost() {
        signIn(1, "alice", 4_000, 4_010, "a1");
        read(1, "alice", "a1", 4_100, 4_110, 200);
        fault(Fault.REDIS_KILL, "redis", 5_000, 6_000);
        finalRead(1, "alice", "a1", 6_100, 6_110, 401);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(1, report.allowedLosses().get(Checker.SESSIONS_LOST));
    }

    @Test
    void rotationJustBeforeRedisKillMayBeLost() {
        signIn(1, "alice", 0, 10, "a1");
        revokeOthers(1, "alice", "a1", 4_500, 4_510, "a2");
        read(1, "alice", "a2", 4_600, 4_610, 200);
        fault(Fault.REDIS_KILL, "redis", 5_000, 6_000);
        finalRead(1, "alice", "a2", 6_100, 6_110, 401);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(1, report.allowedLosses().get(Checker.SESSIONS_LOST));
    }

    @Test
    void chainSignedInLongBeforeRedisKillMustSurvive() {
        signIn(1, "alice", 0, 10, "a1");
        read(1, "alice", "a1", 4_100, 4_110, 200);
        fault(Fault.REDIS_KILL, "redis", 5_000, 6_000);
        finalRead(1, "alice", "a1", 6_100, 6_110, 401);

        assertEquals(1, check().count(Checker.NOT_SERVED_AFTER_HEAL));
    }

    @Test
    void liveChainNeverReadAfterHealIsViolation() {
        signIn(1, "alice", 0, 10, "a1");
        read(1, "alice", "a1", 100, 110, 200);
        fault(Fault.INSTANCE_PAUSE, "app1", 1_000, 2_000);
        read(1, "alice", "a1", 500, 510, 200); // before the heal: does not count

        Report report = check();

        assertEquals(1, report.count(Checker.NOT_SERVED_AFTER_HEAL));
        assertTrue(report.examples().getFirst().detail().contains("never read"));
    }

    @Test
    void finalReadTooLateOrFailingIsViolation() {
        fault(Fault.PARTITION_LB, "app3", 1_000, 2_000);
        signIn(1, "alice", 0, 10, "a1");
        read(1, "alice", "a1", 100, 110, 200);
        finalRead(1, "alice", "a1", 6_000, 7_100, 200); // ends after heal + 5 s
        signIn(2, "bob", 0, 10, "c1");
        read(2, "bob", "c1", 100, 110, 200);
        answer(2, "bob", Kind.FINAL_READ, "c1", 2_100, 2_200, 503, "session_store_unavailable");

        assertEquals(2, check().count(Checker.NOT_SERVED_AFTER_HEAL));
    }

    @Test
    void endedOrUnusedChainsNeedNoFinalRead() {
        signIn(1, "alice", 0, 10, "a1");
        signOut(1, "alice", "a1", 100, 110, 204);
        signIn(2, "bob", 0, 10, "c1"); // its id is never used
        fault(Fault.REDIS_PAUSE, "redis", 1_000, 2_000);

        assertTrue(check().ok());
    }

    @Test
    void indeterminateSignOutExcusesRefusalAfterHeal() {
        signIn(1, "alice", 0, 10, "a1");
        fault(Fault.INSTANCE_KILL, "app1", 1_000, 2_000);
        answer(1, "alice", Kind.SIGN_OUT, "a1", 1_100, 1_200, 0, null);
        finalRead(1, "alice", "a1", 2_100, 2_110, 401);

        Report report = check();

        assertTrue(report.ok(), report::toString);
        assertEquals(1, report.allowedLosses().get(Checker.POSSIBLY_ENDED));
    }

    // ---- report and history ------------------------------------------------------------------------------------

    @Test
    void tableNamesEveryInvariantOpAndFault() {
        signIn(1, "alice", 0, 10, "a1");
        signOut(1, "alice", "a1", 100, 110, 204);
        read(1, "alice", "a1", 200, 210, 200);
        fault(Fault.REDIS_KILL, "redis", 1_000, 2_000);

        String table = check().table();

        Checker.INVARIANTS.forEach(name -> assertTrue(table.contains("| " + name), name));
        Checker.ALLOWED_LOSSES.forEach(name -> assertTrue(table.contains(name), name));
        assertTrue(table.contains("| operation | SIGN_IN 200 | 1 |"), table);
        assertTrue(table.contains("| fault | redis-kill | 1 |"), table);
        assertTrue(table.contains("| invariant | served-after-end (VIOLATED) | 1 |"), table);
        assertTrue(table.lines().allMatch(line -> line.startsWith("|") && line.endsWith("|")), table);
    }

    @Test
    void historyWritesOneJsonLinePerOpAndFault(@TempDir Path dir) throws Exception {
        History history = new History();
        long t = history.now();
        history.add(new Op(history.nextId(), 1, "alice", Kind.READ, "lb", t + 50, t + 60, 200, null, "a1", null,
                "alice", -1));
        history.add(new Op(history.nextId(), 1, "alice", Kind.SIGN_IN, "app1", t, t + 10, 200, null, null, "a1",
                "alice", -1));
        history.add(new Op(history.nextId(), 2, "bob", Kind.INCREMENT, "app2", t + 20, t + 30, 0, null, "c1", null,
                null, -1));
        history.add(new Fault(Fault.REDIS_KILL, "redis", t + 5, t + 40));
        history.add(new Fault(Fault.PARTITION_LB, "app3", t + 5, Long.MAX_VALUE));
        Path file = dir.resolve("history.jsonl");

        history.writeJsonLines(file);

        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(5, lines.size());
        List<JsonObject> objects = lines.stream().map(CheckerTest::parse).toList();
        assertEquals(List.of("op", "op", "op", "fault", "fault"),
                objects.stream().map(o -> o.getString("type")).toList());
        assertEquals(List.of("SIGN_IN", "INCREMENT", "READ"),
                objects.subList(0, 3).stream().map(o -> o.getString("kind")).toList(), "sorted by start");
        assertTrue(objects.get(0).isNull("session"));
        assertEquals("a1", objects.get(0).getString("newSession"));
        assertEquals(Long.MAX_VALUE, objects.get(4).getJsonNumber("end").longValueExact());
        assertEquals(3, history.nextId() - 1);
    }

    @Test
    void historyNowIsMonotonic() {
        History history = new History();
        long a = history.now();
        long b = history.now();

        assertTrue(a >= 0 && b >= a);
        assertFalse(history.ops().iterator().hasNext());
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private Report check() {
        return Checker.check(ops, faults, PARAMS);
    }

    private static void assertOnly(Report report, String invariant) {
        report.violations().forEach((name, n) -> {
            if (!name.equals(invariant)) {
                assertEquals(0, n, () -> name + " in " + report);
            }
        });
        assertTrue(report.examples().stream().allMatch(v -> v.invariant().equals(invariant)), report::toString);
    }

    private static JsonObject parse(String line) {
        try (JsonReader reader = Json.createReader(new StringReader(line))) {
            return reader.readObject();
        }
    }

    private static long ms(long millis) {
        return millis * 1_000;
    }

    private void signIn(int client, String user, long start, long end, String newSession) {
        add(client, user, Kind.SIGN_IN, null, start, end, 200, null, newSession, user, -1);
    }

    private void read(int client, String user, String session, long start, long end, int status) {
        add(client, user, Kind.READ, session, start, end, status, status == 401 ? "unauthenticated" : null, null,
                status == 200 ? user : null, -1);
    }

    private void finalRead(int client, String user, String session, long start, long end, int status) {
        add(client, user, Kind.FINAL_READ, session, start, end, status, status == 401 ? "unauthenticated" : null,
                null, status == 200 ? user : null, -1);
    }

    private void increment(int client, String user, String session, long start, long end, long value) {
        add(client, user, Kind.INCREMENT, session, start, end, 200, null, null, null, value);
    }

    private void signOut(int client, String user, String session, long start, long end, int status) {
        add(client, user, Kind.SIGN_OUT, session, start, end, status, status == 401 ? "unauthenticated" : null, null,
                null, -1);
    }

    private void revokeOthers(int client, String user, String session, long start, long end, String newSession) {
        add(client, user, Kind.REVOKE_OTHERS, session, start, end, 204, null, newSession, null, -1);
    }

    private void passwordChange(int client, String user, String session, long start, long end, String newSession) {
        add(client, user, Kind.PASSWORD_CHANGE, session, start, end, 204, null, newSession, null, -1);
    }

    /** An answer without session change, identity or counter (errors, timeouts). */
    private void answer(int client, String user, Kind kind, String session, long start, long end, int status,
            String error) {
        add(client, user, kind, session, start, end, status, error, null, null, -1);
    }

    private void add(int client, String user, Kind kind, String session, long start, long end, int status,
            String error, String newSession, String identity, long counter) {
        ops.add(new Op(++nextId, client, user, kind, client % 2 == 0 ? "lb" : "app" + (1 + client % 3), ms(start),
                ms(end), status, error, session, newSession, identity, counter));
    }

    private void fault(String kind, String target, long start, long end) {
        faults.add(new Fault(kind, target, ms(start), ms(end)));
    }
}
