package dev.graft.trainer.job;

import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.MetricsText;
import dev.graft.trainer.pool.Claims;
import dev.graft.trainer.pool.Outcomes;
import dev.graft.trainer.pool.RequestRecord;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TrainingRequestValidator;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The record a trainer answered but could not acknowledge (Kafka went away between the outcome and the
 * acknowledgement, or the trainer died) comes back: it is acknowledged without a word, while another
 * record with the same requestId is a second request, answered with the first outcome. Which of the two
 * an outage produces depends on its timing, so {@code KafkaOutageTest} cannot pin this; here it is set up.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class DuplicatesTest {
    private static final String AGAIN = "graft_training_jobs_total{outcome=\"acknowledged_again\",trainer=\"test-trainer\"}";
    private static final String DUPLICATE = "graft_training_jobs_total{outcome=\"duplicate\",trainer=\"test-trainer\"}";

    @Inject
    Duplicates duplicates;
    @Inject
    Outcomes outcomes;
    @Inject
    Claims claims;

    private static double metric(String series) {
        return MetricsText.value(given().get("/q/metrics").asString(), series);
    }

    @Test
    void theAnsweredRecordComingBackIsAcknowledgedAndAnotherIsAnsweredAgain() {
        String requestId = "answered-" + UUID.randomUUID().toString().substring(0, 8);
        String json = """
                {"requestId": "%s", "model": "%s", "task": "classification", "dataset": {"train": "x", "validation": "x"},
                 "base": {"architecture": "small-convnet", "weights": "random", "inputHeight": 32, "inputWidth": 32},
                 "frozen": {"epochs": 1, "learningRate": 0.01, "batchSize": 8}}""".formatted(requestId, requestId);
        TrainingPlan plan = TrainingRequestValidator.parse(json);
        RequestRecord answered = new RequestRecord(requestId, json, Topics.TRAINING_REQUESTS, 0, 4242, 2, java.util.Map.of());
        assertThat(claims.take(requestId, answered)).isPresent();
        outcomes.record(TrainingEvent.cancelled(requestId, requestId, "cancelled"));

        double again = metric(AGAIN);
        double duplicate = metric(DUPLICATE);
        assertThat(duplicates.answered(plan, answered, new Stopwatch())).isTrue();
        assertThat(metric(AGAIN) - again).as("the same record, acknowledged again").isEqualTo(1);
        assertThat(metric(DUPLICATE) - duplicate).isZero();

        RequestRecord another = new RequestRecord(requestId, json, Topics.TRAINING_REQUESTS, 0, 4343, 1, java.util.Map.of());
        assertThat(duplicates.answered(plan, another, new Stopwatch())).isTrue();
        assertThat(metric(DUPLICATE) - duplicate).as("another record, answered again").isEqualTo(1);
        assertThat(metric(AGAIN) - again).isEqualTo(1);
    }
}
