package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;
import dev.graft.contract.events.ShadowComparison;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Promotion;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Decides, from one model's versions and their states alone, the next thing to do, one action at a
 * time: the manager does it and asks again until there is nothing left. Pure: no store, no network,
 * no clock but the time it is given.
 * <ul>
 * <li><b>retry</b>: a failed version whose planned attempt is due becomes a candidate again.</li>
 * <li><b>pinned</b>: the pinned version serves; newer ones are not considered.</li>
 * <li><b>latest</b>: the newest version newer than the serving one that is in the store and has not
 * failed; while nothing serves, the newest such version of all, so a broken newest version leaves
 * an older one serving rather than nothing.</li>
 * <li><b>gated</b>: as latest, skipping versions whose manifest does not beat the serving one (or
 * reach their request's threshold), each noted once with why; a candidate's manifest is read first.</li>
 * <li><b>live gate</b> (shadow on, a version serving, no pin): the chosen version goes into shadow once in
 * memory and serves only when the loop's comparison with the serving version covers the minimum of live
 * examples and it is at least as good; a worse one is held back with the comparison for as long as the
 * loop keeps it (until its examples have left the live window), even after a restart leaves nothing serving.
 * A version in shadow that is no longer the one to judge leaves it.</li>
 * <li><b>availability</b>: a chosen version that is not in memory is loaded while the serving one
 * goes on serving; it swaps in once ready.</li>
 * <li><b>removed</b>: versions gone from the store are retired, unless serving or pinned.</li>
 * </ul>
 */
public final class ServingPolicy {
    static final String WORSE_IN_SHADOW = "worse in shadow: ";

    /**
     * One version as the policy sees it.
     *
     * @param manifest    null until read
     * @param heldBack    the reason it was last noted as held back with; null for none
     * @param nextAttempt when a failed version is tried again; null when no attempt is planned
     * @param live        how it compares with the serving version on live feedback (the loop's); null when not compared
     */
    public record Version(int version, VersionState state, boolean inStore, ModelManifest manifest, String heldBack,
                          Instant nextAttempt, ShadowComparison.Pair live) {
    }

    /** A model: its promotion rule, live gate, pin, serving version (null when none) and known versions, oldest first. */
    public record Model(ServingSettings.Policy promotion, ServingSettings.Shadow shadow, Integer pinned, Integer serving,
                        List<Version> versions) {

        /** A new version must prove itself in shadow: the gate is on, a version serves to compare with, nothing is pinned. */
        boolean liveGate() {
            return shadow.on() && serving != null && pinned == null;
        }
    }

    /** What to do next at {@code now}; empty when the model is as it should be. */
    public Optional<ServingAction> next(Model model, Instant now) {
        Optional<ServingAction> retry = model.versions().stream()
                .filter(v -> v.state() == VersionState.FAILED && v.nextAttempt() != null && !now.isBefore(v.nextAttempt()))
                .findFirst().map(v -> new ServingAction.Retry(v.version()));
        if (retry.isPresent()) {
            return retry;
        }
        Map<Integer, String> heldBack = new TreeMap<>();
        Optional<Version> candidate = model.pinned() == null ? chooseNewer(model, heldBack) : Optional.empty();
        for (Map.Entry<Integer, String> held : heldBack.entrySet()) {
            if (!held.getValue().equals(find(model, held.getKey()).orElseThrow().heldBack())) {
                return Optional.of(new ServingAction.HoldBack(held.getKey(), held.getValue()));
            }
        }
        Optional<Integer> judged = model.liveGate() ? candidate.map(Version::version) : Optional.empty();
        Optional<ServingAction> unshadow = model.versions().stream()
                .filter(v -> v.state() == VersionState.SHADOW && !judged.equals(Optional.of(v.version())))
                .findFirst().map(v -> new ServingAction.Unshadow(v.version()));
        if (unshadow.isPresent()) {
            return unshadow;
        }
        Optional<ServingAction> retire = model.versions().stream()
                .filter(v -> !v.inStore() && !Objects.equals(model.serving(), v.version())
                        && !Objects.equals(model.pinned(), v.version()))
                .filter(v -> v.state() == VersionState.DISCOVERED || v.state() == VersionState.READY
                        || v.state() == VersionState.FAILED)
                .findFirst().map(v -> new ServingAction.Retire(v.version()));
        if (retire.isPresent()) {
            return retire;
        }
        return toTarget(model, candidate);
    }

    /** The step toward the version that should serve: read its manifest, load it or swap it in. */
    private static Optional<ServingAction> toTarget(Model model, Optional<Version> candidate) {
        Version target;
        if (model.pinned() != null) {
            target = find(model, model.pinned()).orElse(null);
        } else {
            if (candidate.isPresent() && candidate.get().manifest() == null
                    && model.promotion() == ServingSettings.Policy.GATED) {
                return Optional.of(new ServingAction.Inspect(candidate.get().version()));
            }
            target = candidate.or(() -> Optional.ofNullable(model.serving()).flatMap(v -> find(model, v))).orElse(null);
        }
        if (target == null || Objects.equals(model.serving(), target.version())) {
            return Optional.empty();
        }
        if (model.liveGate() && !proven(model, target)) {
            if (target.state() == VersionState.SHADOW) {
                return Optional.empty();   // the loop's comparison is awaited
            }
            if (target.state() == VersionState.READY) {
                return Optional.of(new ServingAction.Shadow(target.version()));
            }
        } else if (target.state().loaded()) {
            return Optional.of(new ServingAction.Serve(target.version()));
        }
        boolean loadable = target.inStore() && (target.state() == VersionState.DISCOVERED
                || target.state() == VersionState.RETIRED || target.state() == VersionState.DRAINING);
        return loadable ? Optional.of(new ServingAction.Load(target.version())) : Optional.empty();
    }

    /**
     * Refused on live evidence: once the loop's comparison proved it worse, it stays refused for as long as that
     * comparison stands (until its examples have left the loop's live window, not as soon as one has), and also
     * while nothing serves (after a restart: the comparison names the version it lost to).
     */
    private static boolean refusedLive(Model model, Version v) {
        if (!model.shadow().on() || model.pinned() != null || v.live() == null) {
            return false;
        }
        return noted(v) || (proven(model, v) && !v.live().atLeastAsGood());
    }

    private static boolean noted(Version v) {
        return v.heldBack() != null && v.heldBack().startsWith(WORSE_IN_SHADOW);
    }

    /** Compared with the serving version on enough live examples (that it is at least as good, the choice saw to). */
    private static boolean proven(Model model, Version candidate) {
        return candidate.live() != null && candidate.live().examples() >= model.shadow().minExamples();
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
            if (refusedLive(model, v)) {
                // noted once with the comparison it was refused on: later feedback on its shadow answers is no new reason
                heldBack.put(v.version(), noted(v) ? v.heldBack() : WORSE_IN_SHADOW + v.live().describe());
                continue;
            }
            return Optional.of(v);
        }
        return Optional.empty();
    }

    private static Optional<Version> find(Model model, int version) {
        return model.versions().stream().filter(v -> v.version() == version).findFirst();
    }
}
