package dev.graft.bench;

import dev.graft.bench.engine.EngineBenchmark;
import dev.graft.bench.pool.PoolBenchmark;
import dev.graft.bench.resnet50.ResNet50Benchmark;
import dev.graft.bench.serving.PredictionLogBenchmark;
import dev.graft.bench.serving.ServingBenchmark;
import dev.graft.bench.storage.StorageBenchmark;
import dev.graft.bench.trainer.TrainerBenchmark;
import dev.graft.trainer.base.ImageNetWeights;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code bin/graft bench}'s Java half: one subcommand per benchmark, each taking the positional arguments and
 * defaults bin/graft documents (docs/benchmarks.md). The subcommands only parse; the benchmarks are in the
 * packages beside this one. bin/graft prints the date, CPU and cores before this starts, and passes the JVM
 * options each benchmark runs under (oneDNN cap, OpenMP waits, the PyTorch peer). Exit codes: 0 done, 1 failed,
 * 2 usage.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Graft's benchmarks: each prints its figures from one run",
        subcommands = {Bench.Trainer.class, Bench.ResNet50.class, Bench.Engine.class, Bench.Serving.class,
                Bench.PredictionLog.class, Bench.Soak.class, Bench.Pool.class, Bench.Storage.class})
public final class Bench implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a benchmark");
    }

    public static void main(String[] args) {
        // the serving benchmark's HTTP and Kafka clients leave threads that would keep the JVM alive
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return new CommandLine(new Bench()).execute(args);
    }

    @Command(name = "trainer", description = "frozen phase on cached features vs end to end; fine-tuning through the"
            + " trainer vs a plain DL4J loop (docs/benchmarks.md#trainer)")
    static final class Trainer implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", defaultValue = "vgg16", paramLabel = "ARCHITECTURE") String architecture;
        @Parameters(index = "1", arity = "0..1", defaultValue = "48", paramLabel = "SIZE") int size;
        @Parameters(index = "2", arity = "0..1", defaultValue = "128", paramLabel = "IMAGES_PER_CLASS") int perClass;
        @Parameters(index = "3", arity = "0..1", defaultValue = "32", paramLabel = "BATCH") int batch;

        @Override
        public Integer call() throws Exception {
            new TrainerBenchmark(architecture, size, perClass, batch).run();
            return 0;
        }
    }

    @Command(name = "resnet50", description = "ResNet50 ImageNet in the trainer's recipe: feature pass, fine-tune steps,"
            + " RSS (docs/performance.md#resnet50-in-the-trainer); needs bin/graft weights")
    static final class ResNet50 implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", defaultValue = "160", paramLabel = "IMAGES_PER_CLASS") int perClass;
        @Parameters(index = "1..*", arity = "0..*", paramLabel = "SIZE", description = "input sizes (default 72 224)")
        List<Integer> sizes;

        @Override
        public Integer call() throws Exception {
            new ResNet50Benchmark(perClass, sizes == null || sizes.isEmpty() ? List.of(72, 224) : sizes, weights().dir()).run();
            return 0;
        }
    }

    @Command(name = "engine", description = "the engine against PyTorch on the same cores (docs/performance.md)")
    static final class Engine implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", defaultValue = "8", paramLabel = "SECONDS",
                description = "per measurement") double seconds;
        @Parameters(index = "1..*", arity = "0..*", paramLabel = "NETWORK",
                description = "some of small-convnet@48 vgg16@48 resnet50@72 resnet50@224 (default: all)")
        List<String> networks;

        @Override
        public Integer call() throws Exception {
            new EngineBenchmark(seconds, System.getProperty("graft.bench.python", "/usr/bin/python3"),
                    System.getProperty("graft.bench.torch-peer", "bin/torch_peer.py"), weights())
                    .run(networks == null || networks.isEmpty() ? EngineBenchmark.NETWORKS : networks);
            return 0;
        }
    }

    @Command(name = "serving", description = "HTTP vs in-process, batching, swaps under load, RSS over swaps"
            + " (docs/benchmarks.md#serving)")
    static final class Serving implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", defaultValue = "30", paramLabel = "SECONDS", description = "per phase")
        int seconds;
        @Parameters(index = "1", arity = "0..1", defaultValue = "8", paramLabel = "CONCURRENCY") int concurrency;
        @Parameters(index = "2", arity = "0..1", defaultValue = "30", paramLabel = "SWAPS",
                description = "none for resnet50") int swaps;
        @Parameters(index = "3", arity = "0..1", defaultValue = "small-convnet", paramLabel = "MODEL",
                description = "small-convnet (the demo's, 48 px) or resnet50 (ImageNet, 224 px; needs bin/graft weights)")
        String model;

        @Override
        public Integer call() throws Exception {
            ServingBenchmark.benchmark(seconds, concurrency, swaps, ServingBenchmark.serviceJar(), model, weights()).run();
            return 0;
        }
    }

    @Command(name = "prediction-log", description = "the prediction log's cost: a logged and an unlogged model in"
            + " alternating phases, with Kafka there and gone (docs/loop.md#what-the-log-costs)")
    static final class PredictionLog implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", defaultValue = "30", paramLabel = "SECONDS", description = "per phase")
        int seconds;
        @Parameters(index = "1", arity = "0..1", defaultValue = "8", paramLabel = "CONCURRENCY") int concurrency;

        @Override
        public Integer call() throws Exception {
            new PredictionLogBenchmark(seconds, concurrency, ServingBenchmark.serviceJar()).run();
            return 0;
        }
    }

    @Command(name = "soak", description = "a bounded soak: load all along, a swap every so often, failures counted,"
            + " RSS each minute (docs/reliability.md#soak)")
    static final class Soak implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", defaultValue = "300", paramLabel = "SECONDS") int seconds;
        @Parameters(index = "1", arity = "0..1", defaultValue = "8", paramLabel = "CONCURRENCY") int concurrency;
        @Parameters(index = "2", arity = "0..1", defaultValue = "30", paramLabel = "SWAP_EVERY",
                description = "seconds between swaps") int swapEvery;

        @Override
        public Integer call() throws Exception {
            ServingBenchmark.soak(seconds, concurrency, swapEvery, ServingBenchmark.serviceJar()).run();
            return 0;
        }
    }

    @Command(name = "pool", description = "the trainer pool simulated: share-group consumers whose jobs sleep"
            + " (docs/trainer-pool.md#past-this-machine-a-simulation)")
    static final class Pool implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", defaultValue = "1000", paramLabel = "REQUESTS", description = "per size")
        int requests;
        @Parameters(index = "1", arity = "0..1", split = ",", defaultValue = "1,2,4,8,16,32", paramLabel = "SIZES",
                description = "consumer counts, comma-separated") List<Integer> sizes;
        @Parameters(index = "2", arity = "0..1", defaultValue = "400", paramLabel = "JOB_MS") long jobMillis;

        @Override
        public Integer call() throws Exception {
            new PoolBenchmark(requests, sizes, jobMillis).run();
            return 0;
        }
    }

    @Command(name = "storage", description = "publish and load on the folder store and the local S3 server"
            + " (docs/benchmarks.md#object-storage)")
    static final class Storage implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            new StorageBenchmark().run();
            return 0;
        }
    }

    /** ResNet50's ImageNet weights where bin/graft weights put them (GRAFT_WEIGHTS_DIR). */
    private static ImageNetWeights weights() {
        return new ImageNetWeights(Path.of(System.getenv().getOrDefault("GRAFT_WEIGHTS_DIR", ".graft/weights")));
    }
}
