package dev.graft.contract.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.contract.manifest.Promotion;
import dev.graft.contract.manifest.Task;

/**
 * A training request as published on {@link Topics#TRAINING_REQUESTS}. Fields are boxed so that a
 * missing one reaches validation as null and gets a message naming it.
 *
 * @param dataset  where the images are, relative to the trainer's data root
 * @param base     the convolutional base and its weights
 * @param head     the new head (optional: 256 units, dropout 0.5)
 * @param frozen   phase 1: the base frozen, the head trained
 * @param fineTune phase 2: layers from {@code unfreezeFrom} upward trained with a lower rate
 * @param augmentation   random transforms of the training images in both phases (optional: none)
 * @param classWeights   {@code "balanced"} or a weight per label (classification, optional: none)
 * @param earlyStopping  stop a phase when validation loss stops improving (optional: run all epochs)
 * @param seed     for weight init, splits, shuffling, augmentation and dropout (optional: 42)
 * @param promotion when the new version may serve under the inference service's gated policy
 *                  (optional: when its validation metric beats the serving version's)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingRequest(
        String requestId,
        String model,
        Task task,
        Dataset dataset,
        Base base,
        Head head,
        FrozenPhase frozen,
        FineTunePhase fineTune,
        Augmentation augmentation,
        Object classWeights,
        EarlyStopping earlyStopping,
        Long seed,
        Promotion promotion) {

    /** A request without a promotion rule. */
    public TrainingRequest(String requestId, String model, Task task, Dataset dataset, Base base, Head head,
                           FrozenPhase frozen, FineTunePhase fineTune, Augmentation augmentation, Object classWeights,
                           EarlyStopping earlyStopping, Long seed) {
        this(requestId, model, task, dataset, base, head, frozen, fineTune, augmentation, classWeights, earlyStopping,
                seed, null);
    }

    /**
     * Classification: {@code train} and {@code validation} are folders with one sub-folder per class.
     * Regression: they are CSV files whose rows name an image (relative to the CSV) and its target.
     * Without {@code validation}, {@code validationSplit} (0..0.5) of {@code train} is held out, drawn
     * with the request's seed (per class for classification).
     *
     * @param feedback optional: a CSV of labelled live examples added to the training images (never to the
     *                 validation ones), columns {@code file} (relative to the CSV) and {@code label} (a
     *                 classifier's, one of the training classes; rows with another are left out) or {@code value} (a regressor's)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Dataset(String train, String validation, Double validationSplit, String fileColumn,
                          String targetColumn, String feedback) {

        /** A dataset without feedback examples. */
        public Dataset(String train, String validation, Double validationSplit, String fileColumn, String targetColumn) {
            this(train, validation, validationSplit, fileColumn, targetColumn, null);
        }
    }

    /**
     * Keras ImageDataGenerator's transforms. {@code preset} names a set of defaults (see
     * {@code docs/training.md}); explicit fields override it.
     *
     * @param rotation    degrees, drawn from [-rotation, rotation]
     * @param widthShift  fraction of the width, drawn from [-widthShift, widthShift]
     * @param heightShift fraction of the height
     * @param shear       shear angle in degrees, drawn from [-shear, shear]
     * @param zoom        zoom factor drawn from [1 - zoom, 1 + zoom]
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Augmentation(String preset, Double rotation, Double widthShift, Double heightShift, Double shear,
                               Double zoom, Boolean horizontalFlip) {
    }

    /**
     * @param patience epochs without a lower validation loss before a phase stops; the best epoch's
     *                 weights are kept whether or not it is set
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EarlyStopping(Integer patience) {
    }

    /**
     * @param weights       {@code random}, {@code imagenet}, {@code keras:PATH}, {@code tfjs:PATH} or {@code model:NAME[@VERSION]}
     * @param preprocessing how input pixels are scaled (unit, caffe, torch, tf, vgg); absent: the base's own
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Base(String architecture, String weights, Integer inputHeight, Integer inputWidth,
                       String preprocessing) {
        public Base(String architecture, String weights, Integer inputHeight, Integer inputWidth) {
            this(architecture, weights, inputHeight, inputWidth, null);
        }
    }

    /**
     * @param loss regression only: {@code mse} (the default) or {@code mae}, what the head minimises
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Head(Integer units, Double dropout, String loss) {
        public Head(Integer units, Double dropout) {
            this(units, dropout, null);
        }
    }

    /** @param schedule {@code constant} or {@code cosine}: the learning rate per epoch (optional: constant) */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FrozenPhase(Integer epochs, Double learningRate, Integer batchSize, String schedule) {
        public FrozenPhase(Integer epochs, Double learningRate, Integer batchSize) {
            this(epochs, learningRate, batchSize, null);
        }
    }

    /**
     * @param unfreezeFrom the lowest base layer trained in this phase (Keras names, e.g. block5_conv1)
     * @param schedule     {@code constant} or {@code cosine}: the learning rate per epoch (optional: constant)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FineTunePhase(Integer epochs, Double learningRate, Integer batchSize, String unfreezeFrom,
                                String schedule) {
        public FineTunePhase(Integer epochs, Double learningRate, Integer batchSize, String unfreezeFrom) {
            this(epochs, learningRate, batchSize, unfreezeFrom, null);
        }
    }
}
