package dev.graft.bench.engine;

import dev.graft.bench.trainer.Recipes;
import dev.graft.imaging.engine.Engine;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.trainer.base.Base;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.BaseSurgery;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.RemoteDatasets;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TrainingRequestValidator;
import dev.graft.trainer.training.TransferRecipe;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Graft's engine against PyTorch on the same cores, ratios from one run (docs/performance.md; run with
 * {@code bin/graft bench engine [SECONDS]}). For small-convnet@48 with the demo's 128-unit head and VGG16@48
 * with a 256-unit head, 10 classes: the network the fine-tune phase trains, built by the trainer's own code
 * (whole base unfrozen, Adam), fit on batches of 32 as the recipe fits them; forward passes at batch 16 and
 * 1 in inference mode. The peer is {@code bin/torch_peer.py}, the same networks and loop in PyTorch. Runs
 * alternate Graft, PyTorch, PyTorch, Graft per network; each side is the mean of its two runs. Once per
 * network, between them, the same network on DL4J's built-in layers (helpers off, as before oneDNN).
 */
public final class EngineBenchmark {
    private static final double TARGET = 0.5;

    private final double seconds;
    private final TorchPeer peer;

    /** @param python the interpreter with torch; @param peerScript {@code bin/torch_peer.py} */
    public EngineBenchmark(double seconds, String python, String peerScript) {
        this.seconds = seconds;
        this.peer = new TorchPeer(python, peerScript);
    }

    public void run() throws Exception {
        Path root = Files.createTempDirectory("graft-engine-bench");
        DatasetReader reader = new DatasetReader(root.toString(), RemoteDatasets.none());
        BaseFactory bases = Recipes.bases(new ModelStore(root.resolve("models")), reader, Recipes.NO_WEIGHTS);
        System.out.printf(Locale.ROOT, "graft engine benchmark, %d cores, %.0f s per measurement; %s%n",
                Runtime.getRuntime().availableProcessors(), seconds, Engine.init());
        for (String[] network : new String[][]{{"small-convnet", "128"}, {"vgg16", "256"}}) {
            ComputationGraph graph = fineTuned(bases, network[0], Integer.parseInt(network[1]));
            Rates graft1 = graft(graph, seconds);
            Rates builtIn = graft(Engine.withBuiltInLayers(() -> fineTuned(bases, network[0], Integer.parseInt(network[1]))), seconds);
            Rates torch1 = peer.run(network[0], seconds);
            Rates torch2 = peer.run(network[0], seconds);
            Rates graft2 = graft(graph, seconds);
            print(network[0] + "@48 (" + network[1] + "-unit head, " + graph.numParams() + " parameters)",
                    graft1.mean(graft2), builtIn, torch1.mean(torch2));
        }
    }

    /** What the fine-tune phase trains: the base with the new head, every layer trainable. */
    private static ComputationGraph fineTuned(BaseFactory bases, String architecture, int units) {
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest("bench", "bench", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("train", "validation", null, null, null),
                new TrainingRequest.Base(architecture, "random", 48, 48), new TrainingRequest.Head(units, 0.5),
                new TrainingRequest.FrozenPhase(1, 1e-3, 32),
                new TrainingRequest.FineTunePhase(1, 1e-4, 32, "block1_conv1"), null, null, null, 1L));
        Base base = bases.load(plan.base(), plan.seed());
        return BaseSurgery.frozenBelow(BaseSurgery.unfrozen(BaseSurgery.withNewHead(base, TransferRecipe.newHead(plan, 10, null), plan.frozen().learningRate(), plan.seed())),
                base.resolveLayer(plan.unfreezeFrom()), plan.fineTune().learningRate(), plan.seed());
    }

    private static Rates graft(ComputationGraph graph, double seconds) {
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 32, 10);
        for (int i = 0; i < 32; i++) {
            labels.putScalar(i, i % 10, 1);
        }
        MultiDataSet batch = new MultiDataSet(Nd4j.rand(DataType.FLOAT, 32, 3, 48, 48), labels);
        INDArray sixteen = Nd4j.rand(DataType.FLOAT, 16, 3, 48, 48);
        INDArray one = Nd4j.rand(DataType.FLOAT, 1, 3, 48, 48);
        double train = rate(() -> graph.fit(batch), 32, seconds);
        double forward16 = rate(() -> graph.output(false, sixteen), 16, seconds);
        double forward1 = rate(() -> graph.output(false, one), 1, seconds);
        return new Rates(train, forward16, forward1);
    }

    /** As the peer measures: 3 untimed steps, then as many as fit in the time. */
    private static double rate(Runnable step, int images, double seconds) {
        for (int i = 0; i < 3; i++) {
            step.run();
        }
        long start = System.nanoTime();
        long steps = 0;
        while (System.nanoTime() - start < seconds * 1e9) {
            step.run();
            steps++;
        }
        return images * steps / ((System.nanoTime() - start) / 1e9);
    }

    private static void print(String network, Rates graft, Rates builtIn, Rates torch) {
        System.out.println(network);
        row("training step, batch 32", graft.train(), builtIn.train(), torch.train(), true);
        row("forward, batch 16", graft.forward16(), builtIn.forward16(), torch.forward16(), true);
        row("forward, batch 1", graft.forward1(), builtIn.forward1(), torch.forward1(), false);
    }

    private static void row(String what, double graft, double builtIn, double torch, boolean target) {
        System.out.printf(Locale.ROOT, "  %-24s graft %7.1f img/s (built-in layers %6.1f, %4.1fx)   pytorch %7.1f img/s"
                        + "   graft/pytorch %.2f%s%n", what, graft, builtIn, graft / builtIn, torch, graft / torch,
                target ? String.format(Locale.ROOT, "   (target >= %.1f)", TARGET) : "");
    }
}
