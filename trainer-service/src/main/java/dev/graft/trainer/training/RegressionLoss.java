package dev.graft.trainer.training;

import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMAE;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

import java.util.List;
import java.util.Optional;

/**
 * What a regression head minimises, on normalised targets, with Keras' names. MSE learns the mean
 * target of images that look alike; MAE learns their median, which is what a mean absolute error is
 * lowest for: an image that is a coat or a pullover, 70/30, costs 0.3 of the price gap at the median
 * and 0.42 at the mean. Validation loss, and so the epoch whose weights are kept, uses the same loss.
 */
public enum RegressionLoss {
    MSE {
        @Override
        ILossFunction lossFunction() {
            return new LossMSE();
        }

        @Override
        double of(double meanSquaredError, double meanAbsoluteError) {
            return meanSquaredError;
        }
    },
    MAE {
        @Override
        ILossFunction lossFunction() {
            return new LossMAE();
        }

        @Override
        double of(double meanSquaredError, double meanAbsoluteError) {
            return meanAbsoluteError;
        }
    };

    public static final List<String> NAMES = WireNames.all(values());

    /** DL4J's loss for the output layer. */
    abstract ILossFunction lossFunction();

    /** This loss, given both means over the same rows (normalised targets): the evaluator computes each once. */
    abstract double of(double meanSquaredError, double meanAbsoluteError);

    public String wireName() {
        return WireNames.of(this);
    }

    /** Null (not given) is mse; an unknown name is empty. */
    static Optional<RegressionLoss> parse(String name) {
        return WireNames.parse(values(), name, MSE);
    }
}
