package dev.graft.trainer.training;

import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.TargetNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.List;
import java.util.Map;

/**
 * What the recipe hands over for storing: the network without frozen wrappers, how to read it, and
 * what the training did.
 *
 * @param predictedVsActual validation predictions and true values in real units (regression), else null
 */
public record TrainedModel(ComputationGraph graph, List<String> labels, TargetNormalization targetNormalization,
                           InputShape inputShape, Preprocessing preprocessing, Map<String, Double> metrics, BaseLineage lineage,
                           TrainingReport report, double[][] predictedVsActual) {
}
