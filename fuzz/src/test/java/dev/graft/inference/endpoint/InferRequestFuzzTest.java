package dev.graft.inference.endpoint;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.inference.config.JsonLimits;
import dev.graft.inference.predict.BadRequestException;

import java.io.CharConversionException;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An Open Inference Protocol body as the service reads it (Jackson with the service's nesting limit, then
 * {@link InferRequest#parse}): unreadable JSON or a {@link BadRequestException} (400), else a request whose
 * FP32 shape is all positive sides whose product is the number of values.
 */
class InferRequestFuzzTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        new JsonLimits().customize(MAPPER);
    }

    @FuzzTest(maxDuration = "60s")
    void aBodyIsAWellFormedRequestOrA400(byte[] bytes) {
        JsonNode body;
        try {
            body = MAPPER.readTree(bytes);
        } catch (JsonProcessingException | CharConversionException unreadable) {
            return;   // the service answers 400 for these before the resource runs (ErrorMappers)
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        InferRequest request;
        try {
            request = InferRequest.parse(body);
        } catch (BadRequestException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        if (request.isImages()) {
            assertThat(request.images()).doesNotContainNull();
        } else {
            assertThat(request.shape()).hasSize(4);
            assertThat(Arrays.stream(request.shape()).allMatch(side -> side >= 1)).isTrue();
            assertThat(Arrays.stream(request.shape()).reduce(1, Math::multiplyExact)).isEqualTo(request.values().length);
        }
    }
}
