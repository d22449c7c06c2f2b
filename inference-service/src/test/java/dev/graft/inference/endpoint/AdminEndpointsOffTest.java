package dev.graft.inference.endpoint;

import dev.graft.inference.TestModels;
import dev.graft.store.ModelStore;
import dev.graft.testing.KafkaBrokerTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.is;

/** Closed by default: with no admin key the admin endpoints answer 403 saying how to turn them on; placeholders stop the service. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@TestProfile(AdminEndpointsOffTest.NoAdminKey.class)
class AdminEndpointsOffTest {
    public static class NoAdminKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("graft.admin.api-key", "");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ModelStore store;

    @Test
    void withoutAKeyPinningAnswers403WhateverTheRequestCarriesAndServingIsUntouched() {
        String model = "off-" + UUID.randomUUID().toString().substring(0, 8);
        PredictOverHttpTest.announce(bootstrap, TestModels.publishClassifier(store, model, 1));
        PredictOverHttpTest.awaitServing(model, 1);
        PredictOverHttpTest.announce(bootstrap, TestModels.publishClassifier(store, model, 2));
        PredictOverHttpTest.awaitServing(model, 2);

        String url = "/api/models/{model}/serving";
        for (Optional<String> key : java.util.List.of(Optional.<String>empty(), Optional.of(""), Optional.of("anything"))) {
            var request = given().contentType("application/json").body(Map.of("version", 1));
            if (key.isPresent()) {
                request = request.header("X-Graft-Api-Key", key.get());
            }
            request.put(url, model).then().statusCode(403)
                    .body("error", is(AccessKeys.ADMIN_OFF + "X-Graft-Api-Key header"));
            given().header("X-Graft-Api-Key", key.orElse("x")).delete(url, model).then().statusCode(403);
        }
        given().get("/api/models/{model}", model).then().body("version", is(2)).body("pinnedVersion", org.hamcrest.Matchers.nullValue());
        given().contentType("image/png").body(TestModels.png(0, 8)).post("/api/models/{model}/predict", model)
                .then().statusCode(200).body("version", is(2));
    }

    @Test
    void aPlaceholderOrShortKeyIsRefusedWithTheRule() {
        for (String placeholder : new String[]{"change-me", "CHANGE-ME", "admin", " ", "change-me-too"}) {
            assertThatThrownBy(() -> AccessKeys.checked("graft.admin.api-key", Optional.of(placeholder)))
                    .as(placeholder).hasMessageStartingWith("graft.admin.api-key is set to a placeholder");
        }
        assertThatThrownBy(() -> AccessKeys.checked("graft.predict.api-key", Optional.of("short-key")))
                .hasMessage("graft.predict.api-key is 9 characters long; use at least 16 (e.g. 'openssl rand -hex 32')");
        AccessKeys.checked("graft.admin.api-key", Optional.of("0123456789abcdef"));
        // the service set the JVM-wide deserialization filter as it started
        assertThat(dev.graft.store.security.SerialFilter.installed()).isTrue();
        AccessKeys.checked("graft.admin.api-key", Optional.empty());
    }
}
