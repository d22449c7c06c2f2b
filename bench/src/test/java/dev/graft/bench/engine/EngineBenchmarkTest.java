package dev.graft.bench.engine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The engine benchmark's networks as bin/graft bench engine names them. */
class EngineBenchmarkTest {
    @Test
    void namesTheNetworksItKnows() {
        assertThat(EngineBenchmark.Network.of("resnet50@224")).isEqualTo(new EngineBenchmark.Network("resnet50", 224));
        assertThatThrownBy(() -> EngineBenchmark.Network.of("resnet50@96")).hasMessageContaining("small-convnet@48");
    }
}
