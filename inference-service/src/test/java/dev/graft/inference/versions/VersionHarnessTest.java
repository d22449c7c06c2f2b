package dev.graft.inference.versions;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.graft.inference.versions.VersionState.DISCOVERED;
import static dev.graft.inference.versions.VersionState.DRAINING;
import static dev.graft.inference.versions.VersionState.FAILED;
import static dev.graft.inference.versions.VersionState.LOADING;
import static dev.graft.inference.versions.VersionState.READY;
import static dev.graft.inference.versions.VersionState.RETIRED;
import static dev.graft.inference.versions.VersionState.SERVING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One version's transitions: the usual life, the retry bookkeeping, and the moves it refuses. */
class VersionHarnessTest {
    private static final Instant LATER = Instant.parse("2026-12-06T12:00:00Z");

    private final List<VersionState> entered = new ArrayList<>();
    private final VersionHarness harness = new VersionHarness(1, true, entered::add);

    private void refused(Runnable transition, String message) {
        VersionState before = harness.state();
        ModelStatus.VersionStatus status = harness.status(null);
        assertThatThrownBy(transition::run).isInstanceOf(IllegalStateException.class).hasMessage(message);
        assertThat(harness.state()).as("a refused move changes nothing").isEqualTo(before);
        assertThat(harness.status(null)).isEqualTo(status);
    }

    @Test
    void theUsualLifeIsAllowedAndShortcutsThrow() {
        harness.startLoading();
        harness.loaded(null);
        harness.serve();
        harness.replaced();
        harness.unloaded("unloaded: least recently used beyond keep-versions=1");
        harness.freed();
        harness.startLoading();
        harness.failed("warm-up gave NaN", null, false);
        harness.announced(true);
        assertThat(entered).as("every state entered, for the state metric").containsExactly(DISCOVERED, LOADING, READY,
                SERVING, READY, DRAINING, RETIRED, LOADING, FAILED, DISCOVERED);
        assertThat(harness.state()).isEqualTo(DISCOVERED);
        refused(harness::serve, "version 1 cannot go from discovered to serving");
        assertThat(FAILED.canMoveTo(READY)).as("a failed version loads again first").isFalse();
        assertThat(DRAINING.canMoveTo(SERVING)).isFalse();
    }

    @Test
    void movesTheStateMachineDoesNotHaveAreRefused() {
        refused(() -> harness.loaded(null), "version 1 cannot go from discovered to ready");
        refused(harness::replaced, "version 1 cannot go from discovered to ready");
        refused(() -> harness.unloaded("why"), "version 1 cannot go from discovered to draining");
        refused(harness::attemptDue, "version 1 has no attempt planned");
        harness.startLoading();
        refused(harness::startLoading, "version 1 cannot go from loading to loading");
        refused(harness::retire, "version 1 cannot go from loading to retired");
        harness.loaded(null);
        refused(() -> harness.failed("late", null, false), "version 1 cannot go from ready to failed");
        refused(harness::retire, "version 1 cannot go from ready to retired");
        harness.serve();
        refused(harness::serve, "version 1 cannot go from serving to serving");
        harness.unloaded("why");
        refused(harness::serve, "version 1 cannot go from draining to serving");
        harness.freed();
        refused(harness::attemptDue, "version 1 has no attempt planned");
        harness.startLoading();
        harness.freed();
        assertThat(harness.state()).as("an older instance freed after a reload changes nothing").isEqualTo(LOADING);
    }

    @Test
    void failedAttemptsCountUntilALoadOrAFreshStartAndAPlannedAttemptMakesItACandidateAgain() {
        harness.startLoading();
        harness.failed("store unreachable", LATER, false);
        assertThat(harness.status(null)).isEqualTo(new ModelStatus.VersionStatus(1, "failed", true, "store unreachable",
                null, 1, LATER, null));
        assertThat(harness.failure()).contains("store unreachable; tried again at " + LATER);
        harness.attemptDue();
        assertThat(harness.status(null)).as("the count goes on toward the last attempt")
                .isEqualTo(new ModelStatus.VersionStatus(1, "discovered", true, null, null, 1, null, null));
        assertThat(harness.failure()).isEmpty();
        harness.startLoading();
        harness.failed("store unreachable", null, false);
        assertThat(harness.failedAttempts()).isEqualTo(2);
        harness.announced(true);
        assertThat(harness.status(null)).as("an announcement starts it afresh")
                .isEqualTo(new ModelStatus.VersionStatus(1, "discovered", true, null, null, null, null, null));
        harness.startLoading();
        harness.failed("store unreachable", LATER, false);
        harness.attemptDue();
        harness.startLoading();
        harness.loaded(null);
        assertThat(harness.status(null).attempts()).as("a success clears the count").isNull();
    }

    @Test
    void aFailureOfTheStoredBytesOutlivesAnAnnouncementButNotANewVersionUnderTheSameNumber() {
        harness.startLoading();
        harness.failed("sha256 mismatch", null, true);
        harness.announced(true);
        assertThat(harness.state()).as("announcing it again cannot change what the store holds").isEqualTo(FAILED);
        harness.leftStore(false);
        harness.storedAgain();
        assertThat(harness.status(null)).isEqualTo(new ModelStatus.VersionStatus(1, "discovered", true, null, null, null, null, null));

        harness.startLoading();
        harness.leftStore(false);
        harness.failed("sha256 mismatch", null, true);
        harness.announced(true);
        assertThat(harness.state()).as("failed while not listed: announced before it was stored").isEqualTo(DISCOVERED);
    }

    @Test
    void aRetiredVersionHasNoAttemptPlannedAndStartsAgainWhenStoredAgain() {
        harness.startLoading();
        harness.failed("store unreachable", LATER, false);
        harness.leftStore(false);
        harness.retire();
        assertThat(harness.status(null)).isEqualTo(new ModelStatus.VersionStatus(1, "retired", false, "not in the store",
                null, 1, null, null));
        harness.storedAgain();
        assertThat(harness.state()).isEqualTo(DISCOVERED);
        harness.holdBack("does not beat serving version 2");
        harness.startLoading();
        harness.loaded(null);
        harness.serve();
        assertThat(harness.status(null).heldBack()).as("a version that serves is no longer held back").isNull();
        harness.leftStore(true);
        assertThat(harness.status(null).reason()).isEqualTo(VersionHarness.REMOVED_BUT_SERVING);
    }
}
