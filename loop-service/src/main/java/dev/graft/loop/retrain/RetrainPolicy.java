package dev.graft.loop.retrain;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Task;

/**
 * When one model is retrained, and with what: the request that trained it (the template), sent again with
 * a new id and the feedback CSV added to its dataset.
 *
 * @param afterExamples retrain after this many new labelled examples; null: never by count
 * @param belowAccuracy retrain when the newest version's live accuracy is below this; null: never by accuracy
 * @param aboveMae      retrain when the newest version's live MAE is above this; null: never by MAE
 * @param minExamples   live figures of fewer examples never trigger
 * @param fromServing   train from the version that answered last ({@code model:NAME@VERSION}) instead of the request's base
 */
public record RetrainPolicy(String model, TrainingRequest template, Integer afterExamples, Double belowAccuracy,
                            Double aboveMae, int minExamples, boolean fromServing) {

    public RetrainPolicy {
        if (afterExamples == null && belowAccuracy == null && aboveMae == null) {
            throw new IllegalArgumentException("the retraining policy of " + model
                    + " needs after-examples, below-accuracy or above-mae");
        }
        if (afterExamples != null && afterExamples < 1 || minExamples < 1) {
            throw new IllegalArgumentException("after-examples and min-examples of " + model + " must be at least 1");
        }
        if (template.model() != null && !template.model().equals(model)) {
            throw new IllegalArgumentException("the request of " + model + "'s retraining policy trains " + template.model());
        }
        if (template.task() == null) {
            throw new IllegalArgumentException("the request of " + model + "'s retraining policy names no task");
        }
        if (template.dataset() == null) {
            throw new IllegalArgumentException("the request of " + model + "'s retraining policy has no dataset");
        }
        Task task = template.task();
        if (belowAccuracy != null && task == Task.REGRESSION || aboveMae != null && task != Task.REGRESSION) {
            throw new IllegalArgumentException(model + ": below-accuracy is for a classifier's request, above-mae for a regressor's");
        }
    }

    /** Whether live figures can trigger this model's retraining (else only the count). */
    boolean watchesLiveFigures() {
        return belowAccuracy != null || aboveMae != null;
    }

    /** The template with this retraining's id, the feedback CSV, and the serving version as base when asked. */
    TrainingRequest request(String requestId, String feedbackCsv, int servingVersion) {
        TrainingRequest.Dataset d = template.dataset();
        TrainingRequest.Dataset dataset = new TrainingRequest.Dataset(d.train(), d.validation(), d.validationSplit(),
                d.fileColumn(), d.targetColumn(), feedbackCsv);
        TrainingRequest.Base base = template.base();
        if (fromServing && servingVersion > 0) {
            base = new TrainingRequest.Base(base == null ? null : base.architecture(), "model:" + model + "@" + servingVersion,
                    base == null ? null : base.inputHeight(), base == null ? null : base.inputWidth(),
                    base == null ? null : base.preprocessing());
        }
        TrainingRequest t = template;
        return new TrainingRequest(requestId, model, t.task(), dataset, base, t.head(), t.frozen(), t.fineTune(),
                t.augmentation(), t.classWeights(), t.earlyStopping(), t.seed(), t.promotion());
    }
}
