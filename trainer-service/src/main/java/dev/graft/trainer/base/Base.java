package dev.graft.trainer.base;

import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.List;

/**
 * A network to build on, before its head is replaced.
 *
 * @param graph         the whole network as loaded, old head included
 * @param architecture  whose layer names apply; null for a Keras model of no known architecture,
 *                      whose graph carries the Keras names itself
 * @param featureVertex the vertex in {@code graph} after which everything is head
 * @param inputShape    the input it will be trained on
 * @param weights       where its weights came from, as the request said it (recorded as lineage)
 * @param preprocessing how its input pixels are scaled: what its weights were trained on
 */
public record Base(ComputationGraph graph, Architecture architecture, String featureVertex, InputShape inputShape,
                   String weights, Preprocessing preprocessing) {

    /** Recorded in the model's lineage; a Keras model of no known architecture is "keras". */
    public String architectureId() {
        return architecture != null ? architecture.id() : Architecture.KERAS_ID;
    }

    /** The vertex for a layer named as users know it; an unknown name lists the valid ones. */
    public String resolveLayer(String name) {
        return architecture != null ? architecture.resolveLayer(graph, name) : Architecture.resolveByName(graph, name, "this Keras model");
    }

    public List<String> layerNames() {
        return architecture != null ? architecture.layerNames(graph) : Architecture.layerNamesOf(graph);
    }

    /** The vertex fine-tuning starts from: a layer of the base, not of the head it had. */
    public String baseLayer(String name) {
        String vertex = resolveLayer(name);
        if (!BaseLayers.ancestorsAndSelf(graph.getConfiguration(), featureVertex).contains(vertex)) {
            throw BaseLayers.notInBase(name, architectureId(), BaseLayers.names(graph.getConfiguration(), featureVertex,
                    architecture));
        }
        return vertex;
    }
}
