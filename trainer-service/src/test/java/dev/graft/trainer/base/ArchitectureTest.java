package dev.graft.trainer.base;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArchitectureTest {

    @Test
    void kerasNamesMapOntoTheNumberedLayersOfARandomVgg16() {
        ComputationGraph vgg = Architecture.VGG16.randomGraph(32, 32, 1);
        assertThat(Architecture.VGG16.resolveLayer(vgg, "block5_conv1")).isEqualTo("14");
        assertThat(Architecture.VGG16.resolveLayer(vgg, "block5_pool")).isEqualTo("17");
        assertThat(Architecture.VGG16.resolveLayer(vgg, "fc2")).isEqualTo("19");
        assertThat(Architecture.VGG16.layerNames(vgg)).startsWith("block1_conv1", "block1_conv2", "block1_pool");
        assertThatThrownBy(() -> Architecture.VGG16.resolveLayer(vgg, "block6_conv1"))
                .hasMessageContaining("unknown layer 'block6_conv1' for vgg16")
                .hasMessageContaining("block5_conv3");
    }

    @Test
    void graphsThatCarryKerasNamesResolveDirectly() {
        ComputationGraph small = Architecture.SMALL_CONVNET.randomGraph(16, 16, 1);
        assertThat(Architecture.SMALL_CONVNET.resolveLayer(small, "block2_conv1")).isEqualTo("block2_conv1");
        assertThat(Architecture.SMALL_CONVNET.layerNames(small)).containsExactly("block1_conv1", "block1_pool",
                "block2_conv1", "block2_pool", "block3_conv1", "block3_pool");
    }

    @Test
    void unknownArchitecturesListTheSupportedOnes() {
        assertThat(Architecture.parse("VGG16")).isEqualTo(Architecture.VGG16);
        assertThatThrownBy(() -> Architecture.parse("resnet1000"))
                .hasMessageContaining("supported: [vgg16, squeezenet, small-convnet]");
    }
}
