package dev.graft.trainer.base;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The part of a network that is base: every vertex the feature vertex depends on, itself included;
 * the rest is head. Works on the configuration alone, so a stored model's layers are known without
 * loading its weights.
 */
public final class BaseLayers {
    private BaseLayers() {
    }

    public static Set<String> ancestorsAndSelf(ComputationGraphConfiguration conf, String vertex) {
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(vertex));
        while (!todo.isEmpty()) {
            String current = todo.pop();
            if (seen.add(current)) {
                todo.addAll(conf.getVertexInputs().getOrDefault(current, List.of()));
            }
        }
        return seen;
    }

    /**
     * The base's layers in network order, by the names users know ({@code architecture}'s Keras names;
     * the vertex names themselves where it has none, or is null): what {@code fineTune.unfreezeFrom} may name.
     */
    public static List<String> names(ComputationGraphConfiguration conf, String featureVertex, Architecture architecture) {
        Set<String> base = ancestorsAndSelf(conf, featureVertex);
        List<String> order = conf.getTopologicalOrderStr() != null ? conf.getTopologicalOrderStr()
                : List.copyOf(conf.getVertices().keySet());
        Map<String, String> listed = architecture != null ? architecture.listedNames(conf) : Map.of();
        List<String> names = new ArrayList<>();
        for (String vertex : order) {
            if (base.contains(vertex) && conf.getVertices().get(vertex) instanceof LayerVertex) {
                names.add(listed.getOrDefault(vertex, vertex));
            }
        }
        return names;
    }

    /**
     * The base's layers by the names they are listed by, and every other name that resolves to one of
     * them, to that listed name (ResNet50's Keras 2.2 and zoo names).
     */
    public record Named(List<String> listed, Map<String, String> otherNames) {
        public boolean knows(String name) {
            return listed.contains(name) || otherNames.containsKey(name);
        }
    }

    public static Named named(ComputationGraphConfiguration conf, String featureVertex, Architecture architecture) {
        List<String> listed = names(conf, featureVertex, architecture);
        Map<String, String> others = new TreeMap<>();
        if (architecture != null) {
            Map<String, String> vertexToListed = architecture.listedNames(conf);
            architecture.aliases(conf).forEach((alias, vertex) -> {
                String name = vertexToListed.getOrDefault(vertex, vertex);
                if (!alias.equals(name) && listed.contains(name)) {
                    others.put(alias, name);
                }
            });
        }
        return new Named(listed, others);
    }

    /** The refusal of a fine-tune layer outside the base, listing those it may be. */
    public static IllegalArgumentException notInBase(String name, String base, List<String> valid) {
        return new IllegalArgumentException("fineTune.unfreezeFrom '" + name + "' is not a layer of the " + base
                + " base; valid layers: " + String.join(", ", valid));
    }
}
