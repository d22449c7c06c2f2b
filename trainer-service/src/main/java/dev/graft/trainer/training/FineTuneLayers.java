package dev.graft.trainer.training;

import dev.graft.shared.events.TrainingRequest;
import dev.graft.trainer.base.Architecture;
import dev.graft.trainer.base.BaseCatalog;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.BaseLayers;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Checks {@code fineTune.unfreezeFrom} when a request is validated, so that a wrong layer is refused
 * (dead-lettered, counted as rejected) before the request is taken on, like any other invalid field:
 * against a zoo architecture's layers, or a stored model's once it is in the store. A Keras file's
 * layers are read, and checked, when the request trains.
 */
@ApplicationScoped
public class FineTuneLayers {
    private static final String STORED = "model:";
    private final BaseCatalog catalog;
    private final BaseFactory bases;

    public FineTuneLayers(BaseCatalog catalog, BaseFactory bases) {
        this.catalog = catalog;
        this.bases = bases;
    }

    /** Throws naming the valid layers when the plan fine-tunes from a layer its base does not have. */
    public void check(TrainingPlan plan) {
        String name = plan.unfreezeFrom();
        if (plan.fineTune().epochs() == 0 || name == null) {
            return;
        }
        TrainingRequest.Base base = plan.base();
        String what = base.weights().startsWith(STORED) ? base.weights() : base.architecture();
        known(base).ifPresent(valid -> {
            if (!valid.contains(name) && !valid.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("invalid training request: "
                        + BaseLayers.notInBase(name, what, valid).getMessage());
            }
        });
    }

    private Optional<List<String>> known(TrainingRequest.Base base) {
        if (base.weights().startsWith(STORED)) {
            return bases.storedBaseLayers(base);
        }
        if (base.weights().startsWith(BaseFactory.KERAS_PREFIX)) {
            return Optional.empty();
        }
        return Optional.of(catalog.of(Architecture.parse(base.architecture())).layers());
    }
}
