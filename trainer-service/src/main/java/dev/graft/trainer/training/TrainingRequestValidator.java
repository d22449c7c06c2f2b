package dev.graft.trainer.training;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.store.ModelStoreException;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.trainer.base.Architecture;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.dataset.Augmentation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks a request's shape and applies defaults. Every problem is reported at once, so a user fixes
 * a request in one go. What needs files (datasets, stored bases) is checked when they are read.
 */
public final class TrainingRequestValidator {
    static final int DEFAULT_HEAD_UNITS = 256;
    static final double DEFAULT_DROPOUT = 0.5;
    static final long DEFAULT_SEED = 42;
    private static final int MAX_EPOCHS = 1000;

    private TrainingRequestValidator() {
    }

    public static final int MAX_REQUEST_ID = 256;

    /** A request record's value, read and validated: any problem is an IllegalArgumentException naming it. */
    public static TrainingPlan parse(String json) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException("the record is empty: a training request is a JSON object");
        }
        return validate(Json.read(json, TrainingRequest.class));
    }

    public static TrainingPlan validate(TrainingRequest r) {
        List<String> problems = new ArrayList<>();
        require(problems, r.requestId() != null && !r.requestId().isBlank(), "requestId is required");
        // it names the request in logs, events and URLs: bounded, one line
        require(problems, r.requestId() == null || (r.requestId().length() <= MAX_REQUEST_ID
                && r.requestId().chars().noneMatch(Character::isISOControl)),
                "requestId must be at most " + MAX_REQUEST_ID + " characters, with no control characters");
        try {
            ModelStore.requireValidName(r.model());
        } catch (ModelStoreException e) {
            problems.add("model: " + e.getMessage());
        }
        require(problems, r.task() != null, "task is required (classification or regression)");

        TrainingRequest.Dataset dataset = r.dataset();
        if (dataset == null || dataset.train() == null) {
            problems.add("dataset.train is required");
        } else if ((dataset.validation() == null) == (dataset.validationSplit() == null)) {
            problems.add("dataset needs exactly one of validation (a folder or CSV) and validationSplit (a fraction of train)");
        } else if (dataset.validationSplit() != null && !(dataset.validationSplit() > 0 && dataset.validationSplit() <= 0.5)) {
            problems.add("dataset.validationSplit must be > 0 and <= 0.5");
        }
        if (dataset != null && dataset.feedback() != null && dataset.feedback().isBlank()) {
            problems.add("dataset.feedback, when given, names a CSV of live examples (file, and label or value)");
        }
        if (dataset != null && r.task() == Task.REGRESSION) {
            dataset = new TrainingRequest.Dataset(dataset.train(), dataset.validation(), dataset.validationSplit(),
                    Objects.requireNonNullElse(dataset.fileColumn(), "file"),
                    Objects.requireNonNullElse(dataset.targetColumn(), "target"), dataset.feedback());
        }

        TrainingRequest.Base base = r.base();
        if (base != null && base.preprocessing() != null) {
            try {
                Preprocessing asked = Preprocessing.of(base.preprocessing());
                Preprocessing own = "imagenet".equals(base.weights()) && Architecture.ids().contains(base.architecture())
                        ? Architecture.parse(base.architecture()).imagenetPreprocessing() : null;
                require(problems, own == null || own == asked, "base.preprocessing: " + base.architecture()
                        + "'s imagenet weights were trained on '" + (own == null ? "" : own.id())
                        + "' inputs; leave base.preprocessing out");
            } catch (IllegalArgumentException e) {
                problems.add("base.preprocessing: " + e.getMessage());
            }
        }
        if (base == null || base.weights() == null) {
            problems.add("base.weights is required (random, imagenet, keras:PATH, tfjs:PATH or model:NAME[@VERSION])");
        } else if (!base.weights().startsWith("model:")) {
            // a Keras model may name no architecture (or "keras"): the head goes after its last image layer
            boolean file = base.weights().startsWith(BaseFactory.KERAS_PREFIX) || base.weights().startsWith(BaseFactory.TFJS_PREFIX);
            boolean ownArchitecture = file && (base.architecture() == null || base.architecture().equals(Architecture.KERAS_ID));
            if (base.architecture() == null && !ownArchitecture) {
                problems.add("base.architecture is required; supported: " + Architecture.ids());
            } else if (!ownArchitecture) {
                try {
                    Architecture architecture = Architecture.parse(base.architecture());
                    int min = architecture.minInput();
                    require(problems, base.inputHeight() == null || base.inputWidth() == null
                                    || Math.min(base.inputHeight(), base.inputWidth()) >= min,
                            architecture.id() + " needs inputs of at least " + min + "x" + min + " pixels");
                } catch (IllegalArgumentException e) {
                    problems.add("base.architecture: " + e.getMessage());
                }
            }
            require(problems, inRange(base.inputHeight(), 1, Architecture.MAX_INPUT) && inRange(base.inputWidth(), 1, Architecture.MAX_INPUT),
                    "base.inputHeight and base.inputWidth are required, 1.." + Architecture.MAX_INPUT);
        }

        TrainingRequest.Head head = r.head() != null ? r.head() : new TrainingRequest.Head(null, null);
        int units = Objects.requireNonNullElse(head.units(), DEFAULT_HEAD_UNITS);
        double dropout = Objects.requireNonNullElse(head.dropout(), DEFAULT_DROPOUT);
        require(problems, units >= 1 && units <= 65536, "head.units must be 1..65536");
        require(problems, dropout >= 0 && dropout < 1, "head.dropout must be in [0, 1)");
        Optional<RegressionLoss> loss = RegressionLoss.parse(head.loss());
        require(problems, loss.isPresent(), "head.loss must be one of " + RegressionLoss.NAMES + ", not '" + head.loss() + "'");
        require(problems, head.loss() == null || r.task() != Task.CLASSIFICATION,
                "head.loss applies to regression only (classification minimises cross-entropy)");

        TrainingPlan.Phase frozen = null;
        TrainingRequest.FrozenPhase f = r.frozen();
        if (f == null) {
            problems.add("frozen is required (epochs, learningRate, batchSize)");
        } else {
            frozen = phase(problems, TrainingPlan.FROZEN, f.epochs(), f.learningRate(), f.batchSize(), f.schedule());
        }
        TrainingPlan.Phase fineTune = null;
        String unfreezeFrom = null;
        TrainingRequest.FineTunePhase t = r.fineTune();
        if (t != null) {
            int batch = t.batchSize() != null ? t.batchSize() : f != null && f.batchSize() != null ? f.batchSize() : 0;
            fineTune = phase(problems, TrainingPlan.FINE_TUNE, t.epochs(), t.learningRate(), batch, t.schedule());
            unfreezeFrom = t.unfreezeFrom();
            require(problems, t.epochs() == null || t.epochs() == 0 || unfreezeFrom != null,
                    "fineTune.unfreezeFrom is required: the lowest base layer to train (e.g. block5_conv1)");
        }
        if (frozen != null && frozen.epochs() == 0 && (fineTune == null || fineTune.epochs() == 0)) {
            problems.add("nothing to train: frozen.epochs and fineTune.epochs are both 0");
        }

        Augmentation augmentation = null;
        try {
            augmentation = Augmentation.from(r.augmentation());
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        boolean balanced = false;
        Map<String, Double> classWeights = new LinkedHashMap<>();
        if (r.classWeights() != null) {
            if (r.task() == Task.REGRESSION) {
                problems.add("classWeights apply to classification only");
            } else if ("balanced".equals(r.classWeights())) {
                balanced = true;
            } else if (r.classWeights() instanceof Map<?, ?> weights && !weights.isEmpty()) {
                weights.forEach((label, weight) -> {
                    if (weight instanceof Number number && number.doubleValue() > 0 && Double.isFinite(number.doubleValue())) {
                        classWeights.put(String.valueOf(label), number.doubleValue());
                    } else {
                        problems.add("classWeights." + label + " must be a number > 0");
                    }
                });
            } else {
                problems.add("classWeights must be \"balanced\" or an object of label: weight");
            }
        }
        int patience = 0;
        if (r.earlyStopping() != null) {
            require(problems, inRange(r.earlyStopping().patience(), 1, MAX_EPOCHS),
                    "earlyStopping.patience must be 1.." + MAX_EPOCHS);
            patience = Objects.requireNonNullElse(r.earlyStopping().patience(), 0);
        }
        if (r.promotion() != null) {
            r.promotion().problem(r.task()).ifPresent(problems::add);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid training request: " + String.join("; ", problems));
        }
        return new TrainingPlan(r.requestId(), r.model(), r.task(), dataset, base, units, dropout, loss.orElse(RegressionLoss.MSE), frozen,
                fineTune != null ? fineTune : new TrainingPlan.Phase(TrainingPlan.FINE_TUNE, 0, 0, frozen.batchSize(),
                        LearningRateSchedule.CONSTANT),
                unfreezeFrom, augmentation, balanced, Map.copyOf(classWeights), patience,
                Objects.requireNonNullElse(r.seed(), DEFAULT_SEED), r.promotion());
    }

    private static TrainingPlan.Phase phase(List<String> problems, String name, Integer epochs, Double learningRate,
                                            Integer batchSize, String schedule) {
        String field = name.equals(TrainingPlan.FROZEN) ? "frozen" : "fineTune";
        boolean ok = require(problems, inRange(epochs, 0, MAX_EPOCHS), field + ".epochs must be 0.." + MAX_EPOCHS);
        ok &= require(problems, learningRate != null && learningRate > 0 && learningRate < 10,
                field + ".learningRate must be > 0 and < 10");
        ok &= require(problems, inRange(batchSize, 1, 4096), field + ".batchSize must be 1..4096");
        Optional<LearningRateSchedule> parsed = LearningRateSchedule.parse(schedule);
        ok &= require(problems, parsed.isPresent(), field + ".schedule must be one of " + LearningRateSchedule.NAMES
                + ", not '" + schedule + "'");
        return ok ? new TrainingPlan.Phase(name, epochs, learningRate, batchSize, parsed.get()) : null;
    }

    private static boolean inRange(Integer value, int min, int max) {
        return value != null && value >= min && value <= max;
    }

    private static boolean require(List<String> problems, boolean condition, String problem) {
        if (!condition) {
            problems.add(problem);
        }
        return condition;
    }
}
