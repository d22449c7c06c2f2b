package dev.graft.trainer.base;

import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The Keras head put on a base: flatten, dense (ReLU), dropout, output.
 *
 * @param dropout    the probability of dropping an activation before the output layer; 0 for none
 * @param activation softmax for classification, identity for regression
 */
public record NewHead(int units, double dropout, int outputs, Activation activation, ILossFunction loss) {
}
