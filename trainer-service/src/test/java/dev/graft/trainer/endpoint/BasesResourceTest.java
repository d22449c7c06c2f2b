package dev.graft.trainer.endpoint;

import dev.graft.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class BasesResourceTest {

    @Test
    void listsEveryArchitectureWithItsSmallestInputAndKerasLayerNames() {
        given().when().get("/api/bases").then().statusCode(200)
                .body("architecture", hasItems("vgg16", "vgg19", "resnet50", "squeezenet", "small-convnet"))
                .body("find { it.architecture == 'resnet50' }.minInput", is(70))
                .body("find { it.architecture == 'resnet50' }.featureLayer", is("conv5_block3_out"))
                .body("find { it.architecture == 'resnet50' }.layers", hasItems("conv1_conv", "conv5_block1_1_conv",
                        "conv5_block3_3_bn"))
                .body("find { it.architecture == 'vgg19' }.layers", hasItems("block5_conv4", "block5_pool"))
                .body("find { it.architecture == 'vgg16' }.weights", hasItems("random", "imagenet"))
                .body("find { it.architecture == 'small-convnet' }.weights", hasItems("random"));
    }
}
