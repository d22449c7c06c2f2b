package dev.graft.inference.versions;

import dev.graft.shared.manifest.InputShape;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.manifest.Task;
import dev.graft.shared.store.ModelStore;
import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;

/** Loads one version: manifest, sha256, network, then a warm-up prediction whose shape must fit the manifest. */
@ApplicationScoped
public class ModelLoader {
    private final ModelStore store;

    public ModelLoader(ModelStore store) {
        this.store = store;
    }

    public LoadedModel load(String model, int version) {
        ModelManifest manifest = store.manifest(model, version);
        if (manifest.task() == null || manifest.inputShape() == null) {
            throw new IllegalStateException(model + " version " + version + ": manifest lacks task or input shape");
        }
        ComputationGraph graph;
        try {
            graph = ModelSerializer.restoreComputationGraph(store.verify(manifest).toFile(), false);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(model + " version " + version + ": cannot load the network: " + e.getMessage(), e);
        }
        LoadedModel loaded = new LoadedModel(manifest, graph);
        try {
            warmUp(loaded);
            return loaded;
        } catch (RuntimeException e) {
            loaded.release();
            throw e;
        }
    }

    private static void warmUp(LoadedModel loaded) {
        ModelManifest manifest = loaded.manifest();
        InputShape shape = manifest.inputShape();
        INDArray output = loaded.output(Nd4j.zeros(DataType.FLOAT, 1, shape.channels(), shape.height(), shape.width()));
        long expected = manifest.task() == Task.CLASSIFICATION ? manifest.labels().size() : 1;
        if (output.size(output.rank() - 1) != expected || output.isNaN().any()) {
            throw new IllegalStateException(manifest.model() + " version " + manifest.version() + ": warm-up gave "
                    + output.shapeInfoToString() + " but the manifest expects " + expected + " finite outputs");
        }
    }
}
