package dev.graft.trainer.base;

import dev.graft.shared.manifest.InputShape;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * A network to build on, before its head is replaced.
 *
 * @param graph         the whole network as loaded, old head included
 * @param architecture  whose layer names apply
 * @param featureVertex the vertex in {@code graph} after which everything is head
 * @param inputShape    the input it will be trained on
 * @param weights       where its weights came from, as the request said it (recorded as lineage)
 */
public record Base(ComputationGraph graph, Architecture architecture, String featureVertex, InputShape inputShape,
                   String weights) {
}
