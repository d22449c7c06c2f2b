package dev.graft.trainer.training;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;

/** The decoded training and validation images with their labels (or scaled targets). */
record ImageSets(MultiDataSet train, MultiDataSet validation) {
    INDArray trainImages() {
        return train.getFeatures(0);
    }

    INDArray trainLabels() {
        return train.getLabels(0);
    }

    INDArray validationImages() {
        return validation.getFeatures(0);
    }

    INDArray validationLabels() {
        return validation.getLabels(0);
    }

    long count() {
        return trainImages().size(0) + validationImages().size(0);
    }
}
