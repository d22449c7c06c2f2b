package org.nd4j.nativeblas;

import java.lang.reflect.Method;

/**
 * Puts back the class DL4J 1.0.0-M2.1 asks for before it uses oneDNN. Its layers
 * ({@code BaseMKLDNNHelper.mklDnnEnabled()}) look for {@code org.nd4j.nativeblas.Nd4jCpu$Environment}, but
 * M2.1 moved the bindings to {@code org.nd4j.linalg.cpu.nativecpu.bindings}: the lookup fails, and every
 * convolution, pooling and batch norm takes DL4J's slow built-in path even on the oneDNN build of
 * nd4j-native (docs/performance.md). This answers with the real setting. Reflection, not a reference,
 * because the CUDA build has no CPU bindings (DL4J never asks there).
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** The one method of the old class DL4J calls, {@code getInstance().isUseMKLDNN()}. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        public boolean isUseMKLDNN() {
            try {
                Class<?> environment = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
                Object instance = environment.getMethod("getInstance").invoke(null);
                Method useOneDnn = environment.getMethod("isUseONEDNN");
                return (Boolean) useOneDnn.invoke(instance);
            } catch (ReflectiveOperationException e) {
                return false;
            }
        }
    }
}
