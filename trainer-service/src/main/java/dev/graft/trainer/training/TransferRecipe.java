package dev.graft.trainer.training;

import dev.graft.shared.manifest.BaseLineage;
import dev.graft.shared.manifest.InputShape;
import dev.graft.shared.manifest.TargetNormalization;
import dev.graft.shared.manifest.Task;
import dev.graft.trainer.base.Base;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.ImageTensors;
import dev.graft.trainer.dataset.LabeledImages;
import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The Keras transfer-learning recipe: a base with a new head; phase 1 trains the head on the frozen
 * base, phase 2 unfreezes the base from a named layer upward and trains with a lower rate;
 * validation after every epoch.
 * <p>
 * Frozen layers are DL4J FrozenLayers: no gradients, batch-norm in inference mode. Each epoch
 * still runs them forward; caching their output once per phase is the next speed-up.
 */
@ApplicationScoped
public class TransferRecipe {
    static final String HEAD_DENSE = "graft_dense";
    static final String HEAD_OUTPUT = "graft_output";
    private static final int INFERENCE_BATCH = 64;

    private final BaseFactory bases;
    private final DatasetReader datasets;
    private final long maxDatasetBytes;

    public TransferRecipe(BaseFactory bases, DatasetReader datasets,
                          @ConfigProperty(name = "graft.trainer.max-dataset-bytes", defaultValue = "4294967296")
                          long maxDatasetBytes) {
        this.bases = bases;
        this.datasets = datasets;
        this.maxDatasetBytes = maxDatasetBytes;
    }

    public TrainedModel run(TrainingPlan plan, Consumer<EpochResult> progress) {
        boolean classification = plan.task() == Task.CLASSIFICATION;
        LabeledImages trainFiles;
        LabeledImages validationFiles;
        if (classification) {
            trainFiles = datasets.classFolders(plan.dataset().train(), null);
            validationFiles = datasets.classFolders(plan.dataset().validation(), trainFiles.labels());
        } else {
            trainFiles = datasets.csvTargets(plan.dataset().train(), plan.dataset().fileColumn(), plan.dataset().targetColumn());
            validationFiles = datasets.csvTargets(plan.dataset().validation(), plan.dataset().fileColumn(),
                    plan.dataset().targetColumn());
        }
        TargetNormalization normalization = classification ? null
                : TargetNormalization.fit(Arrays.stream(trainFiles.target()).boxed().toList());

        Base base = bases.load(plan.base(), plan.seed());
        // resolve the fine-tune layer before any training, so a wrong name costs nothing
        String unfreezeVertex = plan.fineTune().epochs() > 0 ? baseLayer(base, plan.unfreezeFrom()) : null;

        InputShape shape = base.inputShape();
        MultiDataSet train = ImageTensors.load(trainFiles, shape, normalization, maxDatasetBytes);
        MultiDataSet validation = ImageTensors.load(validationFiles, shape, normalization, maxDatasetBytes);
        int outputs = classification ? trainFiles.labels().size() : 1;
        Evaluator evaluator = new Evaluator(plan.task(), normalization);

        ComputationGraph graph = withNewHead(base, plan, outputs);
        EpochResult last = null;
        if (plan.frozen().epochs() > 0) {
            last = runPhase(graph, plan.frozen(), plan.seed(), train, validation, evaluator, progress);
        }
        graph = unfrozen(graph);
        if (plan.fineTune().epochs() > 0) {
            ComputationGraph fineTuned = frozenBelow(graph, unfreezeVertex, plan.fineTune().learningRate(), plan.seed());
            last = runPhase(fineTuned, plan.fineTune(), plan.seed(), train, validation, evaluator, progress);
            graph = unfrozen(fineTuned);
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", last.validationLoss());
        metrics.put(last.metric(), last.validationMetric());
        if (!classification) {
            metrics.put("rmse", last.rmse());
        }
        return new TrainedModel(graph, trainFiles.labels(), normalization, shape, metrics,
                new BaseLineage(base.architecture().id(), base.weights(), base.featureVertex()));
    }

    /** The base with everything after its feature layer replaced by the Keras head: flatten, dense, dropout, output. */
    static ComputationGraph withNewHead(Base base, TrainingPlan plan, int outputs) {
        ComputationGraph graph = base.graph();
        ComputationGraphConfiguration conf = graph.getConfiguration();
        InputShape shape = base.inputShape();
        InputType features = conf.getLayerActivationTypes(InputType.convolutional(shape.height(), shape.width(),
                shape.channels())).get(base.featureVertex());
        if (!(features instanceof InputType.InputTypeConvolutional map)) {
            throw new IllegalArgumentException("the base must end in a convolutional layer, " + base.featureVertex()
                    + " gives " + features);
        }

        TransferLearning.GraphBuilder builder = new TransferLearning.GraphBuilder(graph)
                .fineTuneConfiguration(fineTune(plan.frozen().learningRate(), plan.seed()))
                .setFeatureExtractor(base.featureVertex());
        Set<String> keep = ancestorsAndSelf(conf, base.featureVertex());
        for (String vertex : conf.getVertices().keySet()) {
            if (!keep.contains(vertex)) {
                builder.removeVertexAndConnections(vertex);
            }
        }
        boolean classification = plan.task() == Task.CLASSIFICATION;
        OutputLayer.Builder output = new OutputLayer.Builder(
                classification ? LossFunctions.LossFunction.MCXENT : LossFunctions.LossFunction.MSE)
                .nIn(plan.headUnits()).nOut(outputs)
                .activation(classification ? Activation.SOFTMAX : Activation.IDENTITY)
                .weightInit(WeightInit.XAVIER);
        if (plan.dropout() > 0) {
            output.dropOut(1 - plan.dropout()); // DL4J takes the probability of keeping an activation
        }
        return builder
                .addLayer(HEAD_DENSE, new DenseLayer.Builder().nIn(map.getHeight() * map.getWidth() * map.getChannels())
                                .nOut(plan.headUnits()).activation(Activation.RELU).weightInit(WeightInit.RELU).build(),
                        new CnnToFeedForwardPreProcessor(map.getHeight(), map.getWidth(), map.getChannels()),
                        base.featureVertex())
                .addLayer(HEAD_OUTPUT, output.build(), HEAD_DENSE)
                .setOutputs(HEAD_OUTPUT)
                .build();
    }

    /** Freezes every vertex before {@code unfreezeVertex} in network order (Keras' trainable semantics). */
    static ComputationGraph frozenBelow(ComputationGraph graph, String unfreezeVertex, double learningRate, long seed) {
        List<String> below = new ArrayList<>();
        for (int index : graph.topologicalSortOrder()) {
            String name = graph.getVertices()[index].getVertexName();
            if (name.equals(unfreezeVertex)) {
                break;
            }
            if (!graph.getConfiguration().getNetworkInputs().contains(name)) {
                below.add(name);
            }
        }
        TransferLearning.GraphBuilder builder = new TransferLearning.GraphBuilder(graph)
                .fineTuneConfiguration(fineTune(learningRate, seed));
        if (!below.isEmpty()) {
            builder.setFeatureExtractor(below.toArray(String[]::new));
        }
        return builder.build();
    }

    /**
     * The same network and weights with every frozen wrapper removed, so the next phase, and a later
     * training using this model as its base, decide afresh what to freeze.
     */
    static ComputationGraph unfrozen(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        conf.getVertices().replaceAll((name, vertex) -> vertex instanceof FrozenVertex frozen ? frozen.getUnderlying() : vertex);
        conf.getVertices().values().forEach(vertex -> {
            if (vertex instanceof LayerVertex layerVertex) {
                var layer = layerVertex.getLayerConf().getLayer();
                if (layer instanceof FrozenLayer frozen) {
                    layerVertex.getLayerConf().setLayer(frozen.getLayer());
                } else if (layer instanceof FrozenLayerWithBackprop frozen) {
                    layerVertex.getLayerConf().setLayer(frozen.getUnderlying());
                }
            }
        });
        ComputationGraph copy = new ComputationGraph(conf);
        copy.init(graph.params().dup(), false);
        return copy;
    }

    private EpochResult runPhase(ComputationGraph graph, TrainingPlan.Phase phase, long seed, MultiDataSet train,
                                 MultiDataSet validation, Evaluator evaluator, Consumer<EpochResult> progress) {
        int n = (int) train.getFeatures(0).size(0);
        Random random = new Random(seed + phase.name().hashCode());
        EpochResult result = null;
        for (int epoch = 1; epoch <= phase.epochs(); epoch++) {
            long start = System.nanoTime();
            List<Integer> order = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                order.add(i);
            }
            Collections.shuffle(order, random);
            double lossSum = 0;
            for (int from = 0; from < n; from += phase.batchSize()) {
                int to = Math.min(n, from + phase.batchSize());
                graph.fit(rows(train, order.subList(from, to)));
                lossSum += graph.score() * (to - from);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Evaluator.Scores scores = evaluator.score(output(graph, validation.getFeatures(0)), validation.getLabels(0));
            result = new EpochResult(phase.name(), epoch, phase.epochs(), lossSum / n, evaluator.metricName(),
                    scores.loss(), scores.metric(), scores.rmse(), n / seconds);
            if (!Double.isFinite(result.trainLoss()) || !Double.isFinite(result.validationLoss())) {
                throw new IllegalStateException("training diverged: the loss is not a number in the " + phase.name()
                        + " phase, epoch " + epoch + "; lower its learning rate");
            }
            progress.accept(result);
        }
        return result;
    }

    /** Inference in bounded batches, so validation memory does not grow with the validation set. */
    private static INDArray output(ComputationGraph graph, INDArray features) {
        int n = (int) features.size(0);
        List<INDArray> parts = new ArrayList<>();
        for (int from = 0; from < n; from += INFERENCE_BATCH) {
            parts.add(graph.output(false, features.get(NDArrayIndex.interval(from, Math.min(n, from + INFERENCE_BATCH))))[0]);
        }
        return Nd4j.concat(0, parts.toArray(INDArray[]::new));
    }

    private static MultiDataSet rows(MultiDataSet data, List<Integer> rows) {
        long[] index = rows.stream().mapToLong(Integer::longValue).toArray();
        return new MultiDataSet(data.getFeatures(0).get(NDArrayIndex.indices(index)),
                data.getLabels(0).get(NDArrayIndex.indices(index)));
    }

    private String baseLayer(Base base, String name) {
        String vertex = base.architecture().resolveLayer(base.graph(), name);
        if (!ancestorsAndSelf(base.graph().getConfiguration(), base.featureVertex()).contains(vertex)) {
            throw new IllegalArgumentException("fineTune.unfreezeFrom '" + name + "' is not a layer of the base (the base ends at "
                    + base.featureVertex() + "); valid layers: " + String.join(", ",
                    base.architecture().layerNames(base.graph())));
        }
        return vertex;
    }

    private static Set<String> ancestorsAndSelf(ComputationGraphConfiguration conf, String vertex) {
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

    private static FineTuneConfiguration fineTune(double learningRate, long seed) {
        return new FineTuneConfiguration.Builder().updater(new Adam(learningRate)).seed(seed).build();
    }

    /** Validation loss and the task metric, in the units a user reads. */
    static final class Evaluator {
        private final Task task;
        private final TargetNormalization normalization;

        Evaluator(Task task, TargetNormalization normalization) {
            this.task = task;
            this.normalization = normalization;
        }

        String metricName() {
            return task == Task.CLASSIFICATION ? "accuracy" : "mae";
        }

        record Scores(double loss, double metric, double rmse) {
        }

        Scores score(INDArray predictions, INDArray labels) {
            long n = labels.size(0);
            if (task == Task.CLASSIFICATION) {
                INDArray logProbabilities = Transforms.log(Transforms.max(predictions.dup(), 1e-7), false);
                double loss = -logProbabilities.mul(labels).sumNumber().doubleValue() / n;
                double correct = predictions.argMax(1).eq(labels.argMax(1)).castTo(DataType.FLOAT)
                        .sumNumber().doubleValue();
                return new Scores(loss, correct / n, Double.NaN);
            }
            INDArray error = predictions.sub(labels);
            double loss = error.mul(error).sumNumber().doubleValue() / n;
            double mae = Transforms.abs(error).sumNumber().doubleValue() / n * normalization.std();
            return new Scores(loss, mae, Math.sqrt(loss) * normalization.std());
        }
    }
}
