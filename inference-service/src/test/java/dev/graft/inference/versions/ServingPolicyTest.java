package dev.graft.inference.versions;

import dev.graft.contract.events.ShadowComparison;
import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.config.ServingSettings.Policy;
import dev.graft.inference.versions.ServingAction.HoldBack;
import dev.graft.inference.versions.ServingAction.Inspect;
import dev.graft.inference.versions.ServingAction.Load;
import dev.graft.inference.versions.ServingAction.Retire;
import dev.graft.inference.versions.ServingAction.Retry;
import dev.graft.inference.versions.ServingAction.Serve;
import dev.graft.inference.versions.ServingPolicy.Model;
import dev.graft.inference.versions.ServingPolicy.Version;
import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Promotion;
import dev.graft.contract.manifest.Task;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.graft.inference.versions.VersionState.DISCOVERED;
import static dev.graft.inference.versions.VersionState.DRAINING;
import static dev.graft.inference.versions.VersionState.FAILED;
import static dev.graft.inference.versions.VersionState.LOADING;
import static dev.graft.inference.versions.VersionState.READY;
import static dev.graft.inference.versions.VersionState.RETIRED;
import static dev.graft.inference.versions.VersionState.SERVING;
import static dev.graft.inference.versions.VersionState.SHADOW;
import static org.assertj.core.api.Assertions.assertThat;

/** The policy's rules, one by one, on plain values: no store, no network, no DL4J. */
class ServingPolicyTest {
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    private static final String WORSE_THAN_1 = "validation accuracy 0.7000 does not beat serving version 1's 0.8000";

    private final ServingPolicy policy = new ServingPolicy();

    private static Version v(int version, VersionState state) {
        return new Version(version, state, true, null, null, null, null);
    }

    private static Version v(int version, VersionState state, double accuracy, Promotion rule) {
        return v(version, state, accuracy, rule, null);
    }

    /** A version with its manifest; {@code heldBack}: the reason it was noted with. */
    private static Version v(int version, VersionState state, double accuracy, Promotion rule, String heldBack) {
        ModelManifest manifest = ModelManifest.draft("m", Task.CLASSIFICATION, List.of("a", "b"), null, InputShape.rgb(8, 8),
                Preprocessing.UNIT, Map.of("accuracy", accuracy), new BaseLineage("small-convnet", "random", "conv"), "r")
                .withPromotion(rule).published(version, "model.zip", 1, "0".repeat(64));
        return new Version(version, state, true, manifest, heldBack, null, null);
    }

    private static Version removed(int version, VersionState state) {
        return new Version(version, state, false, null, null, null, null);
    }

    private static Version failed(int version, Instant nextAttempt) {
        return new Version(version, FAILED, true, null, null, nextAttempt, null);
    }

    private Optional<ServingAction> latest(Integer pinned, Integer serving, Version... versions) {
        return policy.next(new Model(Policy.LATEST, ServingSettings.Shadow.OFF, pinned, serving, List.of(versions)), NOW);
    }

    private Optional<ServingAction> gated(Integer serving, Version... versions) {
        return policy.next(new Model(Policy.GATED, ServingSettings.Shadow.OFF, null, serving, List.of(versions)), NOW);
    }

    @Test
    void latestLoadsTheNewestVersionWhileTheServingOneServesThenSwapsItIn() {
        assertThat(latest(null, 1, v(1, SERVING), v(2, DISCOVERED), v(3, DISCOVERED)))
                .as("3 loads; the serving version is not touched meanwhile").contains(new Load(3));
        assertThat(latest(null, 1, v(1, SERVING), v(3, LOADING))).as("one load at a time").isEmpty();
        assertThat(latest(null, 1, v(1, SERVING), v(3, READY))).contains(new Serve(3));
        assertThat(latest(null, 3, v(1, READY), v(3, SERVING))).as("settled: 3 serves on, nothing loads").isEmpty();
    }

    @Test
    void latestNeverGoesBackToAnOlderVersionOnItsOwn() {
        assertThat(latest(null, 3, v(1, DISCOVERED), v(2, RETIRED), v(3, SERVING))).isEmpty();
        assertThat(latest(null, 3, v(1, READY), v(2, RETIRED), removed(3, SERVING)))
                .as("not even when the serving one was removed from the store").isEmpty();
    }

    @Test
    void aPinnedVersionServesAndNewerOnesWait() {
        assertThat(latest(1, 1, v(1, SERVING), v(2, READY), v(3, DISCOVERED))).isEmpty();
        assertThat(latest(2, 3, v(2, RETIRED), v(3, SERVING))).as("a pinned version not in memory loads").contains(new Load(2));
        assertThat(latest(2, 3, v(2, READY), v(3, SERVING))).as("and swaps in").contains(new Serve(2));
    }

    @Test
    void failedVersionsAreSkippedAndWithNothingServingAnOlderVersionServesRatherThanNone() {
        assertThat(latest(null, null, v(1, DISCOVERED), v(2, DISCOVERED), v(3, FAILED))).contains(new Load(2));
        assertThat(latest(null, 2, v(2, SERVING), v(3, FAILED))).as("a failed newer version does not displace").isEmpty();
        assertThat(latest(null, null, v(1, FAILED))).isEmpty();
    }

    @Test
    void aFailedVersionBecomesACandidateAgainOnlyOnceItsPlannedAttemptIsDue() {
        assertThat(latest(null, 2, v(2, SERVING), failed(3, NOW.plusMillis(1)))).as("not yet").isEmpty();
        assertThat(latest(null, 2, v(2, SERVING), failed(3, NOW))).contains(new Retry(3));
        assertThat(latest(null, 2, removed(1, READY), v(2, SERVING), failed(3, NOW.minusSeconds(1))))
                .as("before anything else").contains(new Retry(3));
        assertThat(latest(null, 2, v(2, SERVING), failed(3, null))).as("no attempt planned: never").isEmpty();
    }

    @Test
    void gatedReadsACandidatesManifestFirstThenLetsOnlyABetterOneOrOneMeetingItsThresholdIn() {
        assertThat(gated(1, v(1, SERVING, 0.8, null), v(2, DISCOVERED))).contains(new Inspect(2));

        assertThat(gated(1, v(1, SERVING, 0.8, null), v(2, DISCOVERED, 0.7, null)))
                .as("noted with why").contains(new HoldBack(2, WORSE_THAN_1));
        assertThat(gated(1, v(1, SERVING, 0.8, null), v(2, DISCOVERED, 0.7, null, WORSE_THAN_1)))
                .as("noted once, and not loaded").isEmpty();
        assertThat(gated(1, v(1, SERVING, 0.8, null), v(2, DISCOVERED, 0.7, null, "an older reason")))
                .as("noted again when the reason changes").contains(new HoldBack(2, WORSE_THAN_1));

        assertThat(gated(1, v(1, SERVING, 0.8, null), v(2, DISCOVERED, 0.7, null), v(3, DISCOVERED, 0.85, null)))
                .as("only candidates newer than the chosen one are judged").contains(new Load(3));

        assertThat(gated(3, v(3, SERVING, 0.85, null), v(4, DISCOVERED, 0.6, new Promotion("accuracy", 0.55))))
                .contains(new Load(4));
        Optional<ServingAction> skipped = gated(3, v(3, SERVING, 0.85, null), v(4, DISCOVERED, 0.9, null),
                v(5, DISCOVERED, 0.6, null));
        assertThat(skipped).containsInstanceOf(HoldBack.class);
        assertThat(skipped.map(ServingAction::version)).contains(5);
        String reason = ((HoldBack) skipped.orElseThrow()).reason();
        assertThat(gated(3, v(3, SERVING, 0.85, null), v(4, DISCOVERED, 0.9, null), v(5, DISCOVERED, 0.6, null, reason)))
                .as("a held-back newest version does not hide a better older one").contains(new Load(4));
    }

    @Test
    void versionsGoneFromTheStoreAreRetiredUnlessServingOrPinned() {
        assertThat(latest(null, 2, removed(1, READY), removed(2, SERVING), removed(3, FAILED), v(4, LOADING),
                removed(5, DRAINING))).contains(new Retire(1));
        assertThat(latest(null, 2, removed(1, DRAINING), removed(2, SERVING), removed(3, FAILED), v(4, LOADING),
                removed(5, DRAINING))).contains(new Retire(3));
        assertThat(latest(null, 2, removed(1, DRAINING), removed(2, SERVING), removed(3, RETIRED), v(4, LOADING),
                removed(5, DRAINING))).as("draining ones retire by themselves").isEmpty();
        assertThat(latest(1, 1, removed(1, SERVING))).isEmpty();
        assertThat(latest(null, 1, v(1, SERVING), removed(2, DISCOVERED))).as("not a candidate").contains(new Retire(2));
        assertThat(latest(null, 1, v(1, SERVING), removed(2, RETIRED))).isEmpty();
    }

    @Test
    void aRemovedServingVersionServesUntilANewerVersionArrivesAndDrainsAfterTheSwap() {
        assertThat(latest(null, 2, removed(2, SERVING))).isEmpty();
        assertThat(latest(null, 2, removed(2, SERVING), v(3, READY))).contains(new Serve(3));
        assertThat(latest(null, 3, removed(2, READY), v(3, SERVING))).contains(new Retire(2));
    }

    private static final ServingSettings.Shadow GATE = new ServingSettings.Shadow(1.0, 10);

    private static Version compared(int version, VersionState state, long examples, long right, long servingRight) {
        return new Version(version, state, true, null, null, null,
                new ShadowComparison.Pair(version, 1, Task.CLASSIFICATION, examples, right, servingRight, 0, 0));
    }

    private Optional<ServingAction> shadowed(Integer pinned, Integer serving, Version... versions) {
        return policy.next(new Model(Policy.LATEST, GATE, pinned, serving, List.of(versions)), NOW);
    }

    @Test
    void underTheLiveGateANewVersionAnswersInShadowUntilTheLoopHasComparedItOnEnoughLiveExamples() {
        assertThat(shadowed(null, 1, v(1, SERVING), v(2, DISCOVERED))).contains(new Load(2));
        assertThat(shadowed(null, 1, v(1, SERVING), v(2, READY))).as("in memory: into shadow, not serving")
                .contains(new ServingAction.Shadow(2));
        assertThat(shadowed(null, 1, v(1, SERVING), v(2, SHADOW))).as("no comparison yet: it waits").isEmpty();
        assertThat(shadowed(null, 1, v(1, SERVING), compared(2, SHADOW, 9, 9, 0)))
                .as("9 examples, 10 needed, however good").isEmpty();
        assertThat(shadowed(null, 1, v(1, SERVING), compared(2, SHADOW, 10, 7, 7))).as("as good on 10: it serves")
                .contains(new Serve(2));
        assertThat(shadowed(null, null, compared(2, DISCOVERED, 0, 0, 0))).as("nothing serves: nothing to compare with")
                .contains(new Load(2));
        assertThat(shadowed(null, null, v(2, READY))).contains(new Serve(2));
        assertThat(shadowed(2, 1, v(1, SERVING), v(2, READY))).as("a pin needs no evidence").contains(new Serve(2));
    }

    @Test
    void theLiveGateHoldsBackAWorseVersionAndTakesItOutOfShadow() {
        String worse = "worse in shadow: on 10 live examples both answered, accuracy 0.600 against version 1's 0.700";
        assertThat(shadowed(null, 1, v(1, SERVING), compared(2, SHADOW, 10, 6, 7))).contains(new HoldBack(2, worse));
        Version noted = new Version(2, SHADOW, true, null, worse, null,
                new ShadowComparison.Pair(2, 1, Task.CLASSIFICATION, 10, 6, 7, 0, 0));
        assertThat(shadowed(null, 1, v(1, SERVING), noted)).as("noted: out of shadow").contains(new ServingAction.Unshadow(2));
        Version out = new Version(2, READY, true, null, worse, null, noted.live());
        assertThat(shadowed(null, 1, v(1, SERVING), out)).as("settled: 1 serves on").isEmpty();
        Version later = new Version(2, READY, true, null, worse, null,
                new ShadowComparison.Pair(2, 1, Task.CLASSIFICATION, 12, 7, 9, 0, 0));
        assertThat(shadowed(null, 1, v(1, SERVING), later)).as("feedback that came later is no new reason to note").isEmpty();
        Version fewer = new Version(2, READY, true, null, worse, null,
                new ShadowComparison.Pair(2, 1, Task.CLASSIFICATION, 9, 6, 6, 0, 0));
        assertThat(shadowed(null, 1, v(1, SERVING), fewer)).as("refused while the loop keeps the comparison, below the"
                + " minimum as its examples leave the window").isEmpty();
        assertThat(shadowed(null, 1, v(1, SERVING), new Version(2, READY, true, null, worse, null, null)))
                .as("the comparison gone: judged again").contains(new ServingAction.Shadow(2));
        assertThat(shadowed(null, null, v(1, DISCOVERED), compared(2, DISCOVERED, 10, 6, 7)))
                .as("a restart: nothing serves, and the version proven worse is noted").contains(new HoldBack(2, worse));
        assertThat(shadowed(null, null, v(1, DISCOVERED), new Version(2, DISCOVERED, true, null, worse, null, noted.live())))
                .as("and does not serve: the version it lost to does").contains(new Load(1));
        assertThat(shadowed(null, 1, v(1, SERVING), compared(2, SHADOW, 10, 6, 7), v(3, DISCOVERED)))
                .as("a newer version is the one to judge now").contains(new ServingAction.Unshadow(2));
        assertThat(shadowed(null, 1, v(1, SERVING), v(2, READY), v(3, DISCOVERED))).contains(new Load(3));
        assertThat(latest(null, 1, v(1, SERVING), v(2, SHADOW))).as("gate turned off: out of shadow")
                .contains(new ServingAction.Unshadow(2));
    }
}
