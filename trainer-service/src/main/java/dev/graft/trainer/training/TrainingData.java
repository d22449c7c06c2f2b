package dev.graft.trainer.training;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.imaging.ImageLimits;
import dev.graft.contract.manifest.TargetNormalization;
import dev.graft.contract.manifest.Task;
import dev.graft.trainer.base.Base;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.ImageTensors;
import dev.graft.trainer.dataset.LabeledImages;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.List;

/**
 * The request's labelled images, before any is decoded: training and validation files, the loss
 * weight of each class and the scaling of regression targets, both fitted on the training files.
 *
 * @param classWeights  null for none (and for regression)
 * @param normalization null for classification
 */
record TrainingData(LabeledImages train, LabeledImages validation, INDArray classWeights,
                    TargetNormalization normalization) {
    /** The columns of a feedback CSV (dataset.feedback): the image, and its true label or value. */
    static final String FEEDBACK_FILE = "file";
    static final String FEEDBACK_LABEL = "label";
    static final String FEEDBACK_VALUE = "value";

    /** Train and validation images: two datasets, or one split with the seed; feedback examples join the training ones. */
    static TrainingData read(TrainingPlan plan, DatasetReader datasets) {
        TrainingRequest.Dataset dataset = plan.dataset();
        boolean classification = plan.task() == Task.CLASSIFICATION;
        LabeledImages train = classification ? datasets.classFolders(dataset.train(), null)
                : datasets.csvTargets(dataset.train(), dataset.fileColumn(), dataset.targetColumn());
        LabeledImages validation;
        if (dataset.validation() == null) {
            List<LabeledImages> split = train.split(dataset.validationSplit(), plan.seed());
            train = split.get(0);
            validation = split.get(1);
        } else {
            validation = classification ? datasets.classFolders(dataset.validation(), train.labels())
                    : datasets.csvTargets(dataset.validation(), dataset.fileColumn(), dataset.targetColumn());
        }
        if (dataset.feedback() != null) {
            // live examples labelled by feedback train, never validate: validation stays the original distribution
            train = train.plus(classification ? datasets.csvLabels(dataset.feedback(), FEEDBACK_FILE, FEEDBACK_LABEL, train.labels())
                    : datasets.csvTargets(dataset.feedback(), FEEDBACK_FILE, FEEDBACK_VALUE));
        }
        return classification ? new TrainingData(train, validation, classWeights(plan, train), null)
                : new TrainingData(train, validation, null,
                TargetNormalization.fit(Arrays.stream(train.target()).boxed().toList()));
    }

    /** The loss weight of each class, or null for none: "balanced" is n / (classes * count). */
    static INDArray classWeights(TrainingPlan plan, LabeledImages train) {
        List<String> labels = train.labels();
        double[] weights = new double[labels.size()];
        if (plan.balancedClasses()) {
            int[] counts = train.classCounts();
            for (int i = 0; i < weights.length; i++) {
                weights[i] = (double) train.size() / (labels.size() * counts[i]);
            }
        } else if (!plan.classWeights().isEmpty()) {
            List<String> unknown = plan.classWeights().keySet().stream().filter(l -> !labels.contains(l)).toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("classWeights name labels the training data does not have: " + unknown
                        + "; labels: " + labels);
            }
            for (int i = 0; i < weights.length; i++) {
                weights[i] = plan.classWeights().getOrDefault(labels.get(i), 1.0);
            }
        } else {
            return null;
        }
        return Nd4j.create(weights).castTo(DataType.FLOAT).reshape(1, weights.length);
    }

    /** The images decoded for {@code base}: its input shape and the pixel scaling its weights were trained on. */
    ImageSets decode(Base base, long maxDatasetBytes, ImageLimits limits) {
        return new ImageSets(
                ImageTensors.load(train, base.inputShape(), base.preprocessing(), normalization, maxDatasetBytes, limits),
                ImageTensors.load(validation, base.inputShape(), base.preprocessing(), normalization, maxDatasetBytes, limits));
    }
}
