package dev.graft.imaging.engine.cpu;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu;
import org.nd4j.linalg.cpu.nativecpu.ops.CpuOpContext;
import org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 2-D pooling runs on libnd4j's loops (its op context forbids platform helpers), everything else as ND4J
 * runs it, and the loops compute what oneDNN computes, forward and backward.
 */
class CpuOpExecutionerTest {
    /** Pooling 2x2 stride 2 over NCHW: kernel, stride, padding, dilation, same mode off, extra, NCHW. */
    private static final int[] POOL = {2, 2, 2, 2, 0, 0, 1, 1, 0, 0, 0};

    /** Records whether each context it builds allows platform helpers. */
    private static final class Recording extends CpuOpExecutioner {
        final List<Boolean> helpersAllowed = new ArrayList<>();

        @Override
        public OpContext buildContext() {
            OpContext context = super.buildContext();
            helpersAllowed.add(new Nd4jCpu.Context(((CpuOpContext) context).contextPointer()).helpersAllowed());
            return context;
        }
    }

    @Test
    void poolingOpsForbidHelpersAndOtherOpsKeepThem() {
        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
        Recording executioner = new Recording();

        executioner.exec(op("maxpool2d", POOL, input));
        executioner.exec(op("avgpool2d", POOL, input));
        executioner.exec(op("maxpool2d_bp", POOL, input, Nd4j.rand(DataType.FLOAT, 2, 3, 4, 4)));
        assertThat(executioner.helpersAllowed).containsExactly(false, false, false);

        executioner.helpersAllowed.clear();
        executioner.exec(DynamicCustomOp.builder("conv2d").addInputs(input, Nd4j.rand(DataType.FLOAT, 3, 3, 3, 4))
                .addIntegerArguments(3, 3, 1, 1, 0, 0, 1, 1, 1, 0, 0).build());
        assertThat(executioner.helpersAllowed).containsExactly(true);

        CpuOpContext given = new CpuOpContext();
        DynamicCustomOp pooling = op("maxpool2d", POOL, input);
        pooling.addOutputArgument(Nd4j.create(DataType.FLOAT, 2, 3, 4, 4));
        given.setInputArrays(pooling.inputArguments());
        given.setOutputArrays(pooling.outputArguments());
        given.setIArguments(Arrays.stream(POOL).asLongStream().toArray());
        new CpuOpExecutioner().exec(pooling, given);
        assertThat(new Nd4jCpu.Context(given.contextPointer()).helpersAllowed()).isFalse();
    }

    @Test
    void libnd4jsPoolingComputesWhatOneDnnComputes() {
        INDArray input = Nd4j.rand(DataType.FLOAT, 4, 8, 12, 12);
        INDArray gradient = Nd4j.rand(DataType.FLOAT, 4, 8, 6, 6);
        NativeOpExecutioner oneDnn = new NativeOpExecutioner();
        CpuOpExecutioner own = new CpuOpExecutioner();
        for (String pooling : List.of("maxpool2d", "avgpool2d")) {
            assertThat(own.exec(op(pooling, POOL, input))[0]).as(pooling)
                    .isEqualTo(oneDnn.exec(op(pooling, POOL, input))[0]);
            INDArray ownGradient = own.exec(op(pooling + "_bp", POOL, input, gradient))[0];
            INDArray oneDnnGradient = oneDnn.exec(op(pooling + "_bp", POOL, input, gradient))[0];
            assertThat(ownGradient.equalsWithEps(oneDnnGradient, 1e-6)).as(pooling + "_bp").isTrue();
        }
    }

    private static DynamicCustomOp op(String name, int[] arguments, INDArray... inputs) {
        return DynamicCustomOp.builder(name).addInputs(inputs).addIntegerArguments(arguments).build();
    }
}
