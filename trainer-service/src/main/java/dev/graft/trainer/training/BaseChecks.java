package dev.graft.trainer.training;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.trainer.base.Architecture;
import dev.graft.trainer.base.BaseCatalog;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.BaseLayers;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Locale;
import java.util.Optional;

/**
 * Checks what a request asks of its base that needs the catalog or the store when the request is
 * validated: a {@code model:} base's preprocessing, which a request may not change, and
 * {@code fineTune.unfreezeFrom}, so that a wrong layer is refused
 * (dead-lettered, counted as rejected) before the request is taken on, like any other invalid field:
 * against a zoo architecture's layers (by any of their names), or a stored model's once it is in the
 * store. A Keras or TF.js file's layers are read, and checked, when the request trains.
 */
@ApplicationScoped
public class BaseChecks {
    private static final String STORED = "model:";
    private final BaseCatalog catalog;
    private final BaseFactory bases;

    public BaseChecks(BaseCatalog catalog, BaseFactory bases) {
        this.catalog = catalog;
        this.bases = bases;
    }

    /**
     * Throws when a stored base was trained on other inputs than the request asks, or naming the valid
     * layers when the plan fine-tunes from a layer its base does not have.
     */
    public void check(TrainingPlan plan) {
        TrainingRequest.Base base = plan.base();
        try {
            bases.storedManifest(base).ifPresent(manifest -> BaseFactory.requireOwnPreprocessing(base, manifest));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid training request: " + e.getMessage(), e);
        }
        String name = plan.unfreezeFrom();
        if (plan.fineTune().epochs() == 0 || name == null) {
            return;
        }
        String what = base.weights().startsWith(STORED) ? base.weights() : base.architecture();
        known(base).ifPresent(known -> {
            if (!known.knows(name) && !known.knows(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("invalid training request: "
                        + BaseLayers.notInBase(name, what, known.listed()).getMessage());
            }
        });
    }

    private Optional<BaseLayers.Named> known(TrainingRequest.Base base) {
        if (base.weights().startsWith(STORED)) {
            return bases.storedBaseLayers(base);
        }
        if (base.weights().startsWith(BaseFactory.KERAS_PREFIX) || base.weights().startsWith(BaseFactory.TFJS_PREFIX)) {
            return Optional.empty();
        }
        BaseCatalog.BaseInfo info = catalog.of(Architecture.parse(base.architecture()));
        return Optional.of(new BaseLayers.Named(info.layers(), info.otherNames()));
    }
}
