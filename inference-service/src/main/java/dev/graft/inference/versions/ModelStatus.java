package dev.graft.inference.versions;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.shared.manifest.InputShape;
import dev.graft.shared.manifest.TargetNormalization;
import dev.graft.shared.manifest.Task;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One model as {@code GET /api/models} shows it: the version that serves and how to read its
 * outputs, whether it is pinned, what else is loaded, and which versions were held back or failed, with why.
 *
 * @param version         the serving version (null while none serves)
 * @param pinnedVersion   set by {@code PUT /api/models/{model}/serving}; no automatic swap while set
 * @param loadedVersions  in memory, ready for {@code X-Graft-Model-Version} without a load
 * @param newestVersion   the newest version this service has heard of
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelStatus(String model, Integer version, String promotion, Integer pinnedVersion,
                          List<Integer> loadedVersions, Integer newestVersion, List<VersionNote> heldBack,
                          List<VersionNote> failed, Task task, List<String> labels,
                          TargetNormalization targetNormalization, InputShape inputShape,
                          Map<String, Double> validationMetrics, String requestId, Instant createdAt) {

    /** A version and why it does not serve. */
    public record VersionNote(int version, String reason) {
    }
}
