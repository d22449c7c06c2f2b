package dev.graft.imaging.engine;

import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.lang.reflect.Field;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * The engine settings a network must be built under, applied once per JVM before the first network: both
 * services call {@link #init()} where they build or restore one. DL4J 1.0.0-M2.1 creates a layer's oneDNN
 * helper when the layer is built, and only if the system property {@value #HELPERS_DISABLED} is
 * {@code false} (its default is {@code true}); without it a convolution is 6-9x slower on this project's
 * CPUs (docs/performance.md). Setting the property yourself ({@code -D...=true}) keeps DL4J's built-in path.
 * On the CPU backend it also puts {@link #CPU_EXECUTIONER} in place of ND4J's op executioner, which pools on
 * libnd4j's loops: oneDNN's pooling of DL4J's layout is 4-6x slower on AVX2 CPUs. It replaces the instance
 * rather than setting ND4J's {@value #OP_EXECUTIONER} property, which ND4J reads once when it starts, maybe
 * before this call. Setting {@code -Dopexec=} yourself keeps yours.
 */
public final class Engine {
    /** DL4J's switch for its cuDNN / oneDNN layer helpers. */
    public static final String HELPERS_DISABLED = "org.eclipse.deeplearning4j.helpers.disable";
    /** ND4J's setting naming its op executioner class: when set, Graft leaves the executioner alone. */
    public static final String OP_EXECUTIONER = "opexec";
    /** Graft's CPU executioner; absent from the CUDA build. */
    public static final String CPU_EXECUTIONER = "dev.graft.imaging.engine.cpu.CpuOpExecutioner";
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());
    private static Description description;

    private Engine() {
    }

    /**
     * What the engine runs on, as logged at start.
     *
     * @param passiveWaits whether OpenMP's idle threads sleep ({@value #WAIT_POLICY}=PASSIVE) instead of spinning
     * @param oneDnnMaxIsa {@value #ONEDNN_MAX_ISA} as set, or null
     */
    public record Description(String backend, boolean oneDnnBuild, boolean helpers, boolean oneDnnLayers, int threads,
                              boolean ownPooling, boolean passiveWaits, String oneDnnMaxIsa) {
        @Override
        public String toString() {
            return "ND4J " + backend + " backend, " + threads + " threads, oneDNN "
                    + (oneDnnBuild ? "built in" : "not built in") + ", DL4J layer helpers " + (helpers ? "on" : "off")
                    + (oneDnnLayers ? " (convolution and batch norm through oneDNN" : "")
                    + (oneDnnLayers ? (ownPooling ? ", pooling on libnd4j's loops)" : ", pooling too)") : "")
                    + (passiveWaits ? ", idle OpenMP threads sleep" : ", idle OpenMP threads spin a while")
                    + (oneDnnMaxIsa != null ? ", oneDNN capped at " + oneDnnMaxIsa : "");
        }
    }

    /**
     * libgomp's setting, read from the environment when the native library loads, so only a launcher can
     * set it. Its default lets an idle OpenMP thread spin a while, taking a core the service's other threads
     * may need; the inference service's launchers set it to {@value #PASSIVE} (docs/performance.md#openmp).
     */
    private static final String WAIT_POLICY = "OMP_WAIT_POLICY";
    private static final String PASSIVE = "PASSIVE";
    /**
     * oneDNN's cap on the instruction sets it dispatches to, read from the environment at its first primitive.
     * On AVX-512 CPUs oneDNN picks Winograd kernels for the backward passes of DL4J's 3x3 convolutions, 3-4x
     * slower than its AVX2 direct ones there (VGG16 trained 1.7x slower); the trainer's launchers cap it at AVX2 (docs/performance.md#onednn-on-avx-512).
     */
    public static final String ONEDNN_MAX_ISA = "DNNL_MAX_CPU_ISA";

    /** Applies the settings (once; later calls only return the description). */
    public static synchronized Description init() {
        if (description == null) {
            if (System.getProperty(HELPERS_DISABLED) == null) {
                System.setProperty(HELPERS_DISABLED, "false");
            }
            if (System.getProperty(OP_EXECUTIONER) == null && cpuExecutionerPresent()) {
                replaceExecutioner();
            }
            description = describe();
            LOG.log(System.Logger.Level.INFO, "engine: " + description);
        }
        return description;
    }

    /**
     * Builds with DL4J's built-in layers instead, for comparisons (EngineTest, bin/graft bench engine). It
     * flips the JVM-wide property while {@code build} runs: not for use while other threads build networks.
     */
    public static <T> T withBuiltInLayers(Supplier<T> build) {
        String before = System.getProperty(HELPERS_DISABLED);
        System.setProperty(HELPERS_DISABLED, "true");
        try {
            return build.get();
        } finally {
            if (before == null) {
                System.clearProperty(HELPERS_DISABLED);
            } else {
                System.setProperty(HELPERS_DISABLED, before);
            }
        }
    }

    private static Description describe() {
        Properties environment = Nd4j.getExecutioner().getEnvironmentInformation();
        String backend = environment.getProperty("backend", "unknown");
        boolean oneDnnBuild = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().contains("HAVE_ONEDNN");
        boolean helpers = !Boolean.parseBoolean(System.getProperty(HELPERS_DISABLED));
        boolean oneDnnLayers = helpers && oneDnnBuild && BaseMKLDNNHelper.mklDnnEnabled();
        int threads = Nd4j.getEnvironment().maxThreads();
        boolean passiveWaits = PASSIVE.equalsIgnoreCase(System.getenv(WAIT_POLICY));
        return new Description(backend, oneDnnBuild, helpers, oneDnnLayers, threads, cpuExecutionerInstalled(), passiveWaits,
                System.getenv(ONEDNN_MAX_ISA));
    }

    private static boolean cpuExecutionerInstalled() {
        return Nd4j.getExecutioner().getClass().getName().equals(CPU_EXECUTIONER);
    }

    private static void replaceExecutioner() {
        if (cpuExecutionerInstalled()) {
            return;
        }
        try {
            Field instance = Nd4j.class.getDeclaredField("OP_EXECUTIONER_INSTANCE");
            instance.setAccessible(true);
            instance.set(null, Class.forName(CPU_EXECUTIONER).getConstructor().newInstance());
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ND4J's executioner could not be replaced (" + e
                    + "): pooling stays on oneDNN, slower on AVX2 CPUs");
        }
    }

    /** Only where nd4j-native is the backend: the class extends its executioner. */
    private static boolean cpuExecutionerPresent() {
        try {
            Class.forName("org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner", false, Engine.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
