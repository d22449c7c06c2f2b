package dev.graft.bench.trainer;

import dev.graft.imaging.ImageLimits;
import dev.graft.contract.manifest.Task;
import dev.graft.trainer.base.Base;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.BaseSurgery;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.ImageTensors;
import dev.graft.trainer.training.EpochLoop;
import dev.graft.trainer.training.Evaluator;
import dev.graft.trainer.training.RegressionLoss;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TransferRecipe;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

/**
 * What the fine-tune phase trains, without the trainer: the same network (the recipe's head, the base
 * unfrozen from the plan's layer), fit batch by batch in a bare loop over shuffled rows, and validated
 * after every epoch as the recipe validates (its batched forward pass and its evaluator).
 */
final class PlainFitLoop {
    private PlainFitLoop() {
    }

    /** Wall seconds per epoch of the plan's fine-tune phase. */
    static double epochSeconds(BaseFactory bases, DatasetReader reader, TrainingPlan plan, int batch) {
        Base base = bases.load(plan.base(), plan.seed());
        String unfreeze = base.resolveLayer(plan.unfreezeFrom());
        ComputationGraph graph = BaseSurgery.frozenBelow(BaseSurgery.unfrozen(
                BaseSurgery.withNewHead(base, TransferRecipe.newHead(plan, 2, null), plan.frozen().learningRate(), plan.seed())),
                unfreeze, plan.fineTune().learningRate(), plan.seed());
        MultiDataSet data = ImageTensors.load(reader.classFolders(plan.dataset().train(), null), base.inputShape(),
                base.preprocessing(), null, 1L << 34, ImageLimits.DATASET);
        MultiDataSet validation = ImageTensors.load(reader.classFolders(plan.dataset().validation(), null),
                base.inputShape(), base.preprocessing(), null, 1L << 34, ImageLimits.DATASET);
        Evaluator evaluator = new Evaluator(Task.CLASSIFICATION, RegressionLoss.MSE, null);
        INDArray features = data.getFeatures(0);
        INDArray labels = data.getLabels(0);
        int n = (int) features.size(0);
        Random random = new Random(plan.seed());
        long start = System.nanoTime();
        for (int epoch = 0; epoch < plan.fineTune().epochs(); epoch++) {
            List<Long> order = new ArrayList<>(LongStream.range(0, n).boxed().toList());
            Collections.shuffle(order, random);
            for (int from = 0; from < n; from += batch) {
                long[] rows = order.subList(from, Math.min(n, from + batch)).stream().mapToLong(Long::longValue).toArray();
                graph.fit(new MultiDataSet(features.get(NDArrayIndex.indices(rows)), labels.get(NDArrayIndex.indices(rows))));
            }
            evaluator.score(EpochLoop.output(graph, validation.getFeatures(0)), validation.getLabels(0));
        }
        return (System.nanoTime() - start) / 1e9 / plan.fineTune().epochs();
    }
}
