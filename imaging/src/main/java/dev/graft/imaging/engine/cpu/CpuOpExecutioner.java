package dev.graft.imaging.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner;

import java.util.Set;

/**
 * ND4J's CPU executioner, except that 2-D pooling runs on libnd4j's own loops instead of oneDNN. With the
 * plain NCHW layout DL4J passes, oneDNN 2.3 (in nd4j-native 1.0.0-M2.1) pools with its reference
 * {@code simple_nchw} implementation on AVX2 CPUs, 4-6x slower than libnd4j's loops and, in the small
 * convnet's forward pass, four times the time of its convolutions (docs/performance.md). Convolutions keep
 * oneDNN. {@code Engine.init()} puts an instance in place of ND4J's; the CUDA build leaves this package out.
 */
public class CpuOpExecutioner extends NativeOpExecutioner {
    /** The ops with a oneDNN implementation in libnd4j that this keeps on libnd4j's loops. */
    private static final Set<String> OWN_LOOPS = Set.of("maxpool2d", "maxpool2d_bp", "avgpool2d", "avgpool2d_bp");
    private final ThreadLocal<Boolean> ownLoops = ThreadLocal.withInitial(() -> false);

    /** Whether libnd4j may run {@code opName} through a platform helper (oneDNN). */
    private static boolean helpersFor(String opName) {
        return !OWN_LOOPS.contains(opName);
    }

    @Override
    public INDArray[] exec(CustomOp op) {
        if (helpersFor(op.opName())) {
            return super.exec(op);
        }
        ownLoops.set(true);   // super.exec builds its context through buildContext()
        try {
            return super.exec(op);
        } finally {
            ownLoops.set(false);
        }
    }

    @Override
    public INDArray[] exec(CustomOp op, OpContext context) {
        if (!helpersFor(op.opName())) {
            context.allowHelpers(false);
        }
        return super.exec(op, context);
    }

    @Override
    public OpContext buildContext() {
        OpContext context = super.buildContext();
        if (ownLoops.get()) {
            context.allowHelpers(false);
        }
        return context;
    }
}
