package dev.graft.inference.versions;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.contract.events.ShadowComparison;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.TargetNormalization;
import dev.graft.contract.manifest.Task;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One model as {@code GET /api/models} shows it: the version that serves and how to read its
 * outputs, whether it is pinned, what else is loaded, which versions were held back or failed, with
 * why, and the state of every version this service knows.
 *
 * @param version         the serving version (null while none serves)
 * @param shadowVersion   the version in shadow (answering beside the serving one for the live gate), if any
 * @param pinnedVersion   set by {@code PUT /api/models/{model}/serving}; no automatic swap while set
 * @param loadedVersions  in memory, ready for {@code X-Graft-Model-Version} without a load
 * @param newestVersion   the newest version this service has heard of
 * @param versions        every known version and its state, oldest first
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelStatus(String model, Integer version, String promotion, Integer shadowVersion, Integer pinnedVersion,
                          List<Integer> loadedVersions, Integer newestVersion, List<VersionNote> heldBack,
                          List<VersionNote> failed, Task task, List<String> labels,
                          TargetNormalization targetNormalization, InputShape inputShape,
                          Map<String, Double> validationMetrics, String requestId, Instant createdAt,
                          List<VersionStatus> versions) {

    /** A version and why it does not serve. */
    public record VersionNote(int version, String reason) {
    }

    /**
     * One version's state (discovered, loading, ready, shadow, serving, draining, retired, failed).
     *
     * @param inStore      listed in the store at the last look
     * @param reason       why it failed or was retired (or that it serves though removed)
     * @param heldBack     why the gated rule holds it back
     * @param attempts     failed load attempts so far
     * @param nextAttempt  when a failure for a passing reason is tried again
     * @param live         how it compares with the serving version on live feedback, as the loop last said
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record VersionStatus(int version, String state, boolean inStore, String reason, String heldBack,
                                Integer attempts, Instant nextAttempt, Live live) {
    }

    /**
     * A version against the serving one on the live examples both answered (the loop's shadow comparison).
     *
     * @param against the serving version it was compared with
     * @param measure accuracy (a classifier's) or mae (a regressor's)
     */
    public record Live(int against, long examples, String measure, double score, double servingScore, boolean atLeastAsGood) {
        static Live of(ShadowComparison.Pair pair) {
            return new Live(pair.serving(), pair.examples(), pair.task() == Task.REGRESSION ? "mae" : "accuracy",
                    pair.candidateScore(), pair.servingScore(), pair.atLeastAsGood());
        }
    }

    /** @param m the serving version's manifest, null while none serves */
    static ModelStatus of(String model, ModelManifest m, String promotion, Integer pinned, List<Integer> loaded,
                          List<VersionStatus> versions) {
        String servingState = VersionState.SERVING.jsonName();
        List<VersionNote> heldBack = versions.stream().filter(v -> v.heldBack() != null && !servingState.equals(v.state()))
                .map(v -> new VersionNote(v.version(), v.heldBack())).toList();
        List<VersionNote> failed = versions.stream().filter(v -> VersionState.FAILED.jsonName().equals(v.state()))
                .map(v -> new VersionNote(v.version(), v.reason())).toList();
        Integer newest = versions.isEmpty() ? null : versions.get(versions.size() - 1).version();
        Integer shadow = versions.stream().filter(v -> VersionState.SHADOW.jsonName().equals(v.state()))
                .map(VersionStatus::version).findFirst().orElse(null);
        return new ModelStatus(model, m != null ? m.version() : null, promotion, shadow, pinned, loaded, newest, heldBack, failed,
                m != null ? m.task() : null, m != null ? m.labels() : null, m != null ? m.targetNormalization() : null,
                m != null ? m.inputShape() : null, m != null ? m.metrics() : null, m != null ? m.requestId() : null,
                m != null ? m.createdAt() : null, versions);
    }
}
