package dev.graft.bench;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.assertj.core.api.Assertions.assertThat;

/** bin/graft bench's contract with the entry point, without running a benchmark: its subcommands, usage errors exit 2. */
class BenchTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;

    @BeforeEach
    void capture() {
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
    }

    @AfterEach
    void restore() {
        System.setOut(originalOut);
        System.setErr(originalErr);
    }

    @Test
    void listsEveryBenchmarkBinGraftRuns() {
        assertThat(new CommandLine(new Bench()).getSubcommands().keySet())
                .containsExactlyInAnyOrder("trainer", "resnet50", "engine", "serving", "prediction-log", "soak", "pool", "storage");
        assertThat(Bench.execute("--help")).isZero();
        assertThat(out.toString()).contains("trainer", "resnet50", "engine", "serving", "prediction-log", "soak", "pool", "storage");
    }

    @Test
    void rejectsAnUnknownBenchmarkAndBadArgumentsWithUsage() {
        assertThat(Bench.execute("nonsense")).isEqualTo(2);
        assertThat(err.toString()).contains("Unmatched argument", "nonsense");
        assertThat(Bench.execute()).isEqualTo(2);
        assertThat(err.toString()).contains("name a benchmark");
        assertThat(Bench.execute("pool", "many")).isEqualTo(2);
        assertThat(err.toString()).contains("'many' is not an int");
        assertThat(Bench.execute("trainer", "vgg16", "48", "128", "32", "extra")).isEqualTo(2);
    }

    @Test
    void takesTheArgumentsAndDefaultsBinGraftDocuments() {
        CommandLine.ParseResult pool = new CommandLine(new Bench()).parseArgs("pool", "50", "1,2");
        Bench.Pool parsed = (Bench.Pool) pool.subcommand().commandSpec().userObject();
        assertThat(parsed.requests).isEqualTo(50);
        assertThat(parsed.sizes).containsExactly(1, 2);
        assertThat(parsed.jobMillis).isEqualTo(400);

        Bench.Trainer trainer = (Bench.Trainer) new CommandLine(new Bench()).parseArgs("trainer")
                .subcommand().commandSpec().userObject();
        assertThat(trainer.architecture).isEqualTo("vgg16");
        assertThat(new int[]{trainer.size, trainer.perClass, trainer.batch}).containsExactly(48, 128, 32);

        Bench.ResNet50 resnet = (Bench.ResNet50) new CommandLine(new Bench()).parseArgs("resnet50", "20", "64", "96")
                .subcommand().commandSpec().userObject();
        assertThat(resnet.perClass).isEqualTo(20);
        assertThat(resnet.sizes).containsExactly(64, 96);

        Bench.Engine engine = (Bench.Engine) new CommandLine(new Bench()).parseArgs("engine").subcommand().commandSpec().userObject();
        assertThat(engine.seconds).isEqualTo(8);
        assertThat(engine.networks).isNull();   // all of EngineBenchmark.NETWORKS
        engine = (Bench.Engine) new CommandLine(new Bench()).parseArgs("engine", "4", "resnet50@224", "vgg16@48")
                .subcommand().commandSpec().userObject();
        assertThat(engine.seconds).isEqualTo(4);
        assertThat(engine.networks).containsExactly("resnet50@224", "vgg16@48");

        Bench.Serving serving = (Bench.Serving) new CommandLine(new Bench()).parseArgs("serving").subcommand().commandSpec().userObject();
        assertThat(new int[]{serving.seconds, serving.concurrency, serving.swaps}).containsExactly(30, 8, 30);
        assertThat(serving.model).isEqualTo("small-convnet");
        serving = (Bench.Serving) new CommandLine(new Bench()).parseArgs("serving", "10", "4", "0", "resnet50")
                .subcommand().commandSpec().userObject();
        assertThat(serving.model).isEqualTo("resnet50");

        Bench.Soak soak = (Bench.Soak) new CommandLine(new Bench()).parseArgs("soak").subcommand().commandSpec().userObject();
        assertThat(new int[]{soak.seconds, soak.concurrency, soak.swapEvery}).containsExactly(300, 8, 30);
    }
}
