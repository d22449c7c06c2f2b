package dev.graft.bench.engine;

import dev.graft.bench.trainer.Recipes;
import dev.graft.imaging.engine.Engine;
import dev.graft.store.ModelStore;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.BaseSurgery;
import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.RemoteDatasets;
import dev.graft.trainer.training.FineTuneFeatures;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Graft's engine against PyTorch on the same cores, ratios from one run (docs/performance.md; run with
 * {@code bin/graft bench engine [SECONDS [NETWORK...]]}). Each network as the fine-tune phase trains it, built by
 * the trainer's own code (whole base unfrozen, a new head, Adam, 10 classes), fit on batches of 32 as the recipe
 * fits them; forward passes at batch 16 and 1 in inference mode:
 * <ul>
 *   <li>small-convnet@48 with the demo's 128-unit head, VGG16@48 with a 256-unit head (random weights);</li>
 *   <li>ResNet50 with its ImageNet weights and a 256-unit head at the demo's 72 px and at 224, its batch norms
 *       kept in inference mode as the recipe keeps them; also the training step of its top as the recipe's
 *       fine-tune phase trains it, conv5_block3 and the head on the cached output of the block below.</li>
 * </ul>
 * The peer is {@code bin/torch_peer.py}, the same networks and loop in PyTorch (ResNet50: torchvision's). Runs
 * alternate Graft, PyTorch, PyTorch, Graft per network; each side is the mean of its two runs. Once per small
 * network, between them, the same network on DL4J's built-in layers (helpers off, as before oneDNN).
 */
public final class EngineBenchmark {
    /** The benchmark's networks, in the order they run. */
    public static final List<String> NETWORKS = List.of("small-convnet@48", "vgg16@48", "resnet50@72", "resnet50@224");
    private static final double TRAIN_TARGET = 0.9;
    private static final double FORWARD16_TARGET = 1.0;
    private static final double FORWARD1_TARGET = 0.9;

    private final double seconds;
    private final TorchPeer peer;
    private final ImageNetWeights weights;

    /** @param python the interpreter with torch; @param peerScript {@code bin/torch_peer.py}; @param weights ResNet50's */
    public EngineBenchmark(double seconds, String python, String peerScript, ImageNetWeights weights) {
        this.seconds = seconds;
        this.peer = new TorchPeer(python, peerScript);
        this.weights = weights;
    }

    /** @param networks some of {@link #NETWORKS} */
    public void run(List<String> networks) throws Exception {
        List<Network> selected = networks.stream().map(Network::of).toList();
        if (selected.stream().anyMatch(Network::imagenet) && !weights.present()) {
            throw new IllegalStateException("no ImageNet weights in " + weights.dir() + ": run bin/graft weights");
        }
        Path root = Files.createTempDirectory("graft-engine-bench");
        DatasetReader reader = new DatasetReader(root.toString(), RemoteDatasets.none());
        BaseFactory bases = Recipes.bases(new ModelStore(root.resolve("models")), reader, weights);
        System.out.printf(Locale.ROOT, "graft engine benchmark, %d cores, %.0f s per measurement; %s%n",
                Runtime.getRuntime().availableProcessors(), seconds, Engine.init());
        for (Network network : selected) {
            String firstLayer = Recipes.firstLayer(network.architecture());
            ComputationGraph graph = network.fineTuned(bases, firstLayer).graph();
            // forward passes on the network as stored and served: batch norms as such, not the frozen affine maps
            // fine-tuning keeps them as
            ComputationGraph served = BaseSurgery.unfrozen(graph);
            Top top = network.imagenet() ? Top.of(network.fineTuned(bases, Recipes.RESNET50_TOP_BLOCK), network.size()) : null;
            Rates graft1 = graft(graph, top, served, network.size());
            Rates builtIn = null;
            if (!network.imagenet()) {
                ComputationGraph plain = Engine.withBuiltInLayers(() -> network.fineTuned(bases, firstLayer).graph());
                builtIn = graft(plain, null, plain, network.size());
            }
            TorchPeer.Run torch1 = peer.run(network.architecture(), network.size(), seconds);
            TorchPeer.Run torch2 = peer.run(network.architecture(), network.size(), seconds);
            Rates graft2 = graft(graph, top, served, network.size());
            System.out.printf(Locale.ROOT, "%s (%d-unit head, %d parameters%s)%n", network.name(), network.units(),
                    graph.numParams(), torch1.note().isEmpty() ? "" : "; " + torch1.note());
            print(graft1.mean(graft2), builtIn, torch1.rates().mean(torch2.rates()));
            graph.close();
            served.close();
            if (top != null) {
                top.graph().close();
            }
        }
    }

    /** A network of the benchmark, {@code ARCHITECTURE@SIZE}. */
    record Network(String architecture, int size) {
        static Network of(String name) {
            if (!NETWORKS.contains(name)) {
                throw new IllegalArgumentException("no network " + name + " in the engine benchmark: one of " + NETWORKS);
            }
            String[] parts = name.split("@");
            return new Network(parts[0], Integer.parseInt(parts[1]));
        }

        String name() {
            return architecture + "@" + size;
        }

        boolean imagenet() {
            return architecture.equals("resnet50");
        }

        int units() {
            return architecture.equals("small-convnet") ? 128 : 256;
        }

        Recipes.FineTuned fineTuned(BaseFactory bases, String unfreezeFrom) {
            return Recipes.fineTuned(bases, architecture, size, units(), unfreezeFrom);
        }
    }

    /** The trained part as the recipe trains it on cached features: its own graph, and the shape of its input. */
    private record Top(ComputationGraph graph, long[] input) {
        static Top of(Recipes.FineTuned network, int size) {
            String boundary = FineTuneFeatures.boundary(network.graph(), network.unfreezeVertex()).orElseThrow();
            long[] shape = FineTuneFeatures.boundaryType(network.graph(), boundary, InputType.convolutional(size, size, 3)).getShape(false);
            return new Top(FineTuneFeatures.top(network.graph(), network.unfreezeVertex(), boundary), shape);
        }
    }

    /** Training steps on {@code graph} (and {@code top}), forward passes on {@code served}. */
    private Rates graft(ComputationGraph graph, Top top, ComputationGraph served, int size) {
        INDArray labels = labels();
        MultiDataSet batch = new MultiDataSet(Nd4j.rand(DataType.FLOAT, 32, 3, size, size), labels);
        INDArray sixteen = Nd4j.rand(DataType.FLOAT, 16, 3, size, size);
        INDArray one = Nd4j.rand(DataType.FLOAT, 1, 3, size, size);
        double train = rate(() -> graph.fit(batch), 32);
        double trainTop = Double.NaN;
        if (top != null) {
            MultiDataSet boundary = new MultiDataSet(Nd4j.rand(DataType.FLOAT, 32, top.input()[0], top.input()[1], top.input()[2]), labels);
            trainTop = rate(() -> top.graph().fit(boundary), 32);
        }
        double forward16 = rate(() -> served.output(false, sixteen), 16);
        double forward1 = rate(() -> served.output(false, one), 1);
        return new Rates(train, trainTop, forward16, forward1);
    }

    private static INDArray labels() {
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 32, 10);
        for (int i = 0; i < 32; i++) {
            labels.putScalar(i, i % 10, 1);
        }
        return labels;
    }

    /** As the peer measures: 3 untimed steps (2 where they take longer than the measurement), then as many as fit. */
    private double rate(Runnable step, int images) {
        long warmStart = System.nanoTime();
        for (int i = 0; i < 2 || (i < 3 && System.nanoTime() - warmStart < seconds * 1e9); i++) {
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

    private static void print(Rates graft, Rates builtIn, Rates torch) {
        row("training step, batch 32", graft.train(), builtIn == null ? Double.NaN : builtIn.train(), torch.train(), TRAIN_TARGET);
        if (!Double.isNaN(graft.trainTop())) {
            row("  of the top (cached)", graft.trainTop(), Double.NaN, torch.trainTop(), TRAIN_TARGET);
        }
        row("forward, batch 16", graft.forward16(), builtIn == null ? Double.NaN : builtIn.forward16(), torch.forward16(), FORWARD16_TARGET);
        row("forward, batch 1", graft.forward1(), builtIn == null ? Double.NaN : builtIn.forward1(), torch.forward1(), FORWARD1_TARGET);
    }

    private static void row(String what, double graft, double builtIn, double torch, double target) {
        String builtInColumn = Double.isNaN(builtIn) ? " ".repeat(30)
                : String.format(Locale.ROOT, "(built-in layers %6.1f, %4.1fx)", builtIn, graft / builtIn);
        System.out.printf(Locale.ROOT, "  %-24s graft %7.1f img/s %s   pytorch %7.1f img/s   graft/pytorch %.2f   (target >= %.1f)%n",
                what, graft, builtInColumn, torch, graft / torch, target);
    }
}
