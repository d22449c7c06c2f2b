package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings.Policy;
import dev.graft.inference.versions.ServingPolicy.Decision;
import dev.graft.inference.versions.ServingPolicy.Model;
import dev.graft.inference.versions.ServingPolicy.Version;
import dev.graft.shared.manifest.BaseLineage;
import dev.graft.shared.manifest.Preprocessing;
import dev.graft.shared.manifest.InputShape;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.manifest.Promotion;
import dev.graft.shared.manifest.Task;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.graft.inference.versions.VersionState.DISCOVERED;
import static dev.graft.inference.versions.VersionState.DRAINING;
import static dev.graft.inference.versions.VersionState.FAILED;
import static dev.graft.inference.versions.VersionState.LOADING;
import static dev.graft.inference.versions.VersionState.READY;
import static dev.graft.inference.versions.VersionState.RETIRED;
import static dev.graft.inference.versions.VersionState.SERVING;
import static org.assertj.core.api.Assertions.assertThat;

/** The policy's rules, one by one, on plain values: no store, no network, no DL4J. */
class ServingPolicyTest {
    private final ServingPolicy policy = new ServingPolicy();

    private static Version v(int version, VersionState state) {
        return new Version(version, state, true, null);
    }

    private static Version v(int version, VersionState state, double accuracy, Promotion rule) {
        ModelManifest manifest = ModelManifest.draft("m", Task.CLASSIFICATION, List.of("a", "b"), null, InputShape.rgb(8, 8),
                Preprocessing.UNIT, Map.of("accuracy", accuracy), new BaseLineage("small-convnet", "random", "conv"), "r")
                .withPromotion(rule).published(version, "model.zip", 1, "0".repeat(64));
        return new Version(version, state, true, manifest);
    }

    private static Version removed(int version, VersionState state) {
        return new Version(version, state, false, null);
    }

    private Decision latest(Integer pinned, Integer serving, Version... versions) {
        return policy.decide(new Model(Policy.LATEST, pinned, serving, List.of(versions)));
    }

    private Decision gated(Integer serving, Version... versions) {
        return policy.decide(new Model(Policy.GATED, null, serving, List.of(versions)));
    }

    @Test
    void latestLoadsTheNewestVersionWhileTheServingOneServesThenSwapsItIn() {
        Decision first = latest(null, 1, v(1, SERVING), v(2, DISCOVERED), v(3, DISCOVERED));
        assertThat(first.load()).isEqualTo(3);
        assertThat(first.serve()).as("the serving version is not touched while 3 loads").isNull();
        assertThat(latest(null, 1, v(1, SERVING), v(3, LOADING)).load()).as("one load at a time").isNull();
        assertThat(latest(null, 1, v(1, SERVING), v(3, READY)).serve()).isEqualTo(3);
        Decision settled = latest(null, 3, v(1, READY), v(3, SERVING));
        assertThat(settled.serve()).isEqualTo(3);
        assertThat(settled.load()).isNull();
    }

    @Test
    void latestNeverGoesBackToAnOlderVersionOnItsOwn() {
        Decision decision = latest(null, 3, v(1, DISCOVERED), v(2, RETIRED), v(3, SERVING));
        assertThat(decision.load()).isNull();
        assertThat(decision.serve()).isEqualTo(3);
        Decision removed = latest(null, 3, v(1, READY), v(2, RETIRED), removed(3, SERVING));
        assertThat(removed.serve()).as("not even when the serving one was removed from the store").isEqualTo(3);
        assertThat(removed.load()).isNull();
    }

    @Test
    void aPinnedVersionServesAndNewerOnesWait() {
        Decision pinned = latest(1, 1, v(1, SERVING), v(2, READY), v(3, DISCOVERED));
        assertThat(pinned.serve()).isEqualTo(1);
        assertThat(pinned.load()).isNull();
        assertThat(latest(2, 3, v(2, RETIRED), v(3, SERVING)).load()).as("a pinned version not in memory loads").isEqualTo(2);
    }

    @Test
    void failedVersionsAreSkippedAndWithNothingServingAnOlderVersionServesRatherThanNone() {
        assertThat(latest(null, null, v(1, DISCOVERED), v(2, DISCOVERED), v(3, FAILED)).load()).isEqualTo(2);
        assertThat(latest(null, 2, v(2, SERVING), v(3, FAILED)).load()).as("a failed newer version does not displace")
                .isNull();
        assertThat(latest(null, null, v(1, FAILED)).serve()).isNull();
    }

    @Test
    void gatedReadsACandidatesManifestFirstThenLetsOnlyABetterOneOrOneMeetingItsThresholdIn() {
        assertThat(gated(1, v(1, SERVING, 0.8, null), v(2, DISCOVERED)).inspect()).isEqualTo(2);

        Decision worse = gated(1, v(1, SERVING, 0.8, null), v(2, DISCOVERED, 0.7, null));
        assertThat(worse.load()).isNull();
        assertThat(worse.heldBack()).containsOnlyKeys(2);
        assertThat(worse.heldBack().get(2)).contains("does not beat serving version 1");

        Decision better = gated(1, v(1, SERVING, 0.8, null), v(2, DISCOVERED, 0.7, null), v(3, DISCOVERED, 0.85, null));
        assertThat(better.load()).isEqualTo(3);
        assertThat(better.heldBack()).as("only candidates newer than the chosen one are judged").isEmpty();

        Decision threshold = gated(3, v(3, SERVING, 0.85, null), v(4, DISCOVERED, 0.6, new Promotion("accuracy", 0.55)));
        assertThat(threshold.load()).isEqualTo(4);
        Decision skipped = gated(3, v(3, SERVING, 0.85, null), v(4, DISCOVERED, 0.9, null), v(5, DISCOVERED, 0.6, null));
        assertThat(skipped.load()).as("a held-back newest version does not hide a better older one").isEqualTo(4);
        assertThat(skipped.heldBack()).containsOnlyKeys(5);
    }

    @Test
    void versionsGoneFromTheStoreAreRetiredUnlessServingOrPinned() {
        Decision decision = latest(null, 2, removed(1, READY), removed(2, SERVING), removed(3, FAILED), v(4, LOADING),
                removed(5, DRAINING));
        assertThat(decision.retire()).as("draining ones retire by themselves").containsExactly(1, 3);
        assertThat(latest(1, 1, removed(1, SERVING)).retire()).isEmpty();
        assertThat(latest(null, 1, v(1, SERVING), removed(2, DISCOVERED)).load()).as("not a candidate").isNull();
    }

    @Test
    void aRemovedServingVersionServesUntilANewerVersionArrivesAndDrainsAfterTheSwap() {
        assertThat(latest(null, 2, removed(2, SERVING)).serve()).isEqualTo(2);
        assertThat(latest(null, 2, removed(2, SERVING), v(3, READY)).serve()).isEqualTo(3);
        assertThat(latest(null, 3, removed(2, READY), v(3, SERVING)).retire()).containsExactly(2);
    }
}
