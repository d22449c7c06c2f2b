package dev.graft.trainer.training;

import dev.graft.shared.manifest.BaseLineage;
import dev.graft.shared.manifest.InputShape;
import dev.graft.shared.manifest.TargetNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.List;
import java.util.Map;

/** What the recipe hands over for storing: the network without frozen wrappers, and how to read it. */
public record TrainedModel(ComputationGraph graph, List<String> labels, TargetNormalization targetNormalization,
                           InputShape inputShape, Map<String, Double> metrics, BaseLineage lineage) {
}
