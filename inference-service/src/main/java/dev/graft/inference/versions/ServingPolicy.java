package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.manifest.Promotion;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Decides, from one model's versions and their states alone, which version serves and what to do next.
 * Pure: no store, no network, no clock; the manager carries each decision out and asks again.
 * <ul>
 * <li><b>pinned</b>: the pinned version serves; newer ones are not considered.</li>
 * <li><b>latest</b>: the newest version newer than the serving one that is in the store and has not
 * failed; while nothing serves, the newest such version of all, so a broken newest version leaves
 * an older one serving rather than nothing.</li>
 * <li><b>gated</b>: as latest, skipping versions whose manifest does not beat the serving one (or
 * reach their request's threshold); a candidate's manifest is read first.</li>
 * <li><b>availability</b>: a chosen version that is not in memory is loaded while the serving one
 * goes on serving; it swaps in once ready.</li>
 * <li><b>removed</b>: versions gone from the store are retired, unless serving or pinned.</li>
 * </ul>
 */
public final class ServingPolicy {

    /** One version as the policy sees it; {@code manifest} is null until read. */
    public record Version(int version, VersionState state, boolean inStore, ModelManifest manifest) {
    }

    /** A model: its promotion rule, pin, serving version (null when none) and known versions. */
    public record Model(ServingSettings.Policy promotion, Integer pinned, Integer serving, List<Version> versions) {
    }

    /**
     * What to do now.
     *
     * @param serve    the version that should serve (in memory; the serving one when nothing changes); null while
     *                 nothing can
     * @param load     a version to load before anything else changes; null for none
     * @param inspect  a version whose manifest must be read before deciding; null for none
     * @param heldBack versions the promotion rule held back in this decision, with why
     * @param retire   versions to take out of memory and of the candidates: gone from the store
     */
    public record Decision(Integer serve, Integer load, Integer inspect, Map<Integer, String> heldBack,
                           List<Integer> retire) {
    }

    public Decision decide(Model model) {
        Map<Integer, String> heldBack = new TreeMap<>();
        List<Integer> retire = model.versions().stream()
                .filter(v -> !v.inStore() && !Objects.equals(model.serving(), v.version())
                        && !Objects.equals(model.pinned(), v.version()))
                .filter(v -> v.state() == VersionState.DISCOVERED || v.state() == VersionState.READY
                        || v.state() == VersionState.FAILED)
                .map(Version::version).toList();
        Version target;
        if (model.pinned() != null) {
            target = find(model, model.pinned()).orElse(null);
        } else {
            Optional<Version> candidate = chooseNewer(model, heldBack);
            if (candidate.isPresent() && candidate.get().manifest() == null
                    && model.promotion() == ServingSettings.Policy.GATED) {
                return new Decision(null, null, candidate.get().version(), heldBack, retire);
            }
            target = candidate.or(() -> Optional.ofNullable(model.serving()).flatMap(v -> find(model, v))).orElse(null);
        }
        if (target == null) {
            return new Decision(null, null, null, heldBack, retire);
        }
        if (target.state().loaded()) {
            return new Decision(target.version(), null, null, heldBack, retire);
        }
        boolean loadable = target.inStore() && (target.state() == VersionState.DISCOVERED
                || target.state() == VersionState.RETIRED || target.state() == VersionState.DRAINING);
        return new Decision(null, loadable ? target.version() : null, null, heldBack, retire);
    }

    /**
     * The newest version that may replace the serving one, or empty. A candidate without its manifest
     * is returned as it is under gated: the caller reads the manifest and asks again.
     */
    private static Optional<Version> chooseNewer(Model model, Map<Integer, String> heldBack) {
        int floor = model.serving() != null ? model.serving() : 0;
        ModelManifest serving = model.serving() != null ? find(model, model.serving()).map(Version::manifest).orElse(null) : null;
        List<Version> candidates = model.versions().stream()
                .filter(v -> v.version() > floor && v.inStore() && v.state() != VersionState.FAILED)
                .sorted(Comparator.comparingInt(Version::version).reversed()).toList();
        for (Version v : candidates) {
            if (model.promotion() == ServingSettings.Policy.GATED) {
                if (v.manifest() == null) {
                    return Optional.of(v);
                }
                Optional<String> reason = Promotion.heldBackReason(v.manifest(), serving);
                if (reason.isPresent()) {
                    heldBack.put(v.version(), reason.get());
                    continue;
                }
            }
            return Optional.of(v);
        }
        return Optional.empty();
    }

    private static Optional<Version> find(Model model, int version) {
        return model.versions().stream().filter(v -> v.version() == version).findFirst();
    }
}
