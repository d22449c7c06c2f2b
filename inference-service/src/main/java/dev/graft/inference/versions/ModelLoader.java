package dev.graft.inference.versions;

import dev.graft.imaging.network.NetworkFiles;
import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.batching.BatchScheduler;
import dev.graft.inference.metrics.InferenceMetrics;
import dev.graft.imaging.engine.Engine;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.store.StorageUnavailableException;
import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;

/**
 * Loads one version: reads and checks its manifest, verifies the artifact's sha256, restores the
 * network, then warms it up with predictions on synthetic input (one image, then a full batch) whose
 * outputs must fit the manifest. Anything wrong is an exception and the version never serves.
 */
@ApplicationScoped
public class ModelLoader {
    private final ModelStore store;
    private final ServingSettings settings;
    private final BatchScheduler.Factory schedulers;
    private final InferenceMetrics metrics;

    public ModelLoader(ModelStore store, ServingSettings settings, BatchScheduler.Factory schedulers,
                       InferenceMetrics metrics) {
        Engine.init();   // before the first network is restored
        this.store = store;
        this.settings = settings;
        this.schedulers = schedulers;
        this.metrics = metrics;
    }

    public LoadedModel load(String model, int version) {
        ModelManifest manifest = store.manifest(model, version);
        check(manifest);
        ComputationGraph graph;
        try {
            graph = NetworkFiles.restore(store.verify(manifest), false);
        } catch (StorageUnavailableException e) {
            throw e;   // passing: the manager tries again
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot load the network: " + e.getMessage(), e);
        }
        LoadedModel loaded = new LoadedModel(manifest, graph, schedulers);
        try {
            warmUp(loaded);
            return loaded;
        } catch (RuntimeException e) {
            loaded.release();
            throw e;
        }
    }

    private static void check(ModelManifest manifest) {
        if (manifest.task() == null || manifest.inputShape() == null) {
            throw new IllegalStateException("the manifest lacks a known task or the input shape");
        }
        manifest.preprocessingMode();   // an id this service does not know throws, naming the ones it does
        if (manifest.task() == Task.CLASSIFICATION && manifest.labels().size() < 2) {
            throw new IllegalStateException("a classifier's manifest needs at least two labels");
        }
        if (manifest.task() == Task.REGRESSION && manifest.targetNormalization() == null) {
            throw new IllegalStateException("a regressor's manifest needs its target normalization");
        }
    }

    private void warmUp(LoadedModel loaded) {
        ModelManifest manifest = loaded.manifest();
        InputShape shape = manifest.inputShape();
        int batch = settings.forModel(manifest.model()).maxBatchSize();
        long expected = manifest.task() == Task.CLASSIFICATION ? manifest.labels().size() : 1;
        for (int i = 0; i < settings.warmupPredictions(); i++) {
            int n = i == 0 ? 1 : batch;   // one image, then full batches: both paths run before a user's request
            INDArray input = Nd4j.rand(DataType.FLOAT, n, shape.channels(), shape.height(), shape.width());
            INDArray output = loaded.output(input);
            if (output.size(0) != n || output.size(output.rank() - 1) != expected || output.isNaN().any()
                    || output.isInfinite().any()) {
                throw new IllegalStateException("warm-up gave " + output.shapeInfoToString().replace('\n', ' ')
                        + " but the manifest expects " + expected + " finite outputs per image");
            }
            metrics.warmUp(manifest.model(), manifest.version());
        }
    }
}
