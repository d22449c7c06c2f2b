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
    void vgg19AndResNet50TakeKerasNames() {
        ComputationGraph vgg19 = Architecture.VGG19.randomGraph(32, 32, 1);
        assertThat(Architecture.VGG19.resolveLayer(vgg19, "block5_conv4")).isEqualTo("19");
        assertThat(Architecture.VGG19.resolveLayer(vgg19, "block5_pool")).isEqualTo("20");

        ComputationGraph resnet = Architecture.RESNET50.randomGraph(70, 70, 1);
        assertThat(Architecture.RESNET50.resolveLayer(resnet, "conv5_block1_1_conv")).isEqualTo("res5a_branch2a");
        assertThat(Architecture.RESNET50.resolveLayer(resnet, "conv4_block6_out")).isEqualTo("res4f_branch");
        assertThat(Architecture.RESNET50.resolveLayer(resnet, "conv5_block1_0_bn")).isEqualTo("bn5a_branch1");
        assertThat(Architecture.RESNET50.resolveLayer(resnet, Architecture.RESNET50.featureLayer())).isEqualTo("res5c_branch");
        // the zoo's own names work as well
        assertThat(Architecture.RESNET50.resolveLayer(resnet, "res5a_branch2a")).isEqualTo("res5a_branch2a");
        // every conv and batch-norm layer of the zoo graph has a Keras name
        assertThat(Architecture.RESNET50.layerNames(resnet)).noneMatch(n -> n.matches("(res|bn|act)[0-9].*"))
                .contains("conv1_conv", "conv5_block3_out");
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
                .hasMessageContaining("supported: [vgg16, vgg19, resnet50, squeezenet, small-convnet]");
    }
}
