package dev.graft.inference.loop;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;

class PredictionIdsTest {
    private final PredictionIds ids = new PredictionIds("a key");
    private final Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    @Test
    void anIdSaysItsVersionAndTimeToTheKeyItWasSignedWithForItsModelOnly() {
        String id = ids.issue("shoes", 7, time, true);
        assertThat(ids.read("shoes", id)).contains(new PredictionIds.Issued(7, time, true));
        assertThat(ids.read("shoes", ids.issue("shoes", 7, time, false))).as("not logged")
                .contains(new PredictionIds.Issued(7, time, false));
        assertThat(ids.issue("shoes", 7, time, true)).as("two predictions at the same instant").isNotEqualTo(id);
        assertThat(ids.read("shirts", id)).as("another model").isEmpty();
        assertThat(new PredictionIds("another key").read("shoes", id)).as("another key").isEmpty();
    }

    @Test
    void anIdChangedAnywhereIsNoIdAtAll() {
        String id = ids.issue("shoes", 7, time, true);
        String[] parts = id.split("\\.");
        assertThat(ids.read("shoes", String.join(".", parts[0], "8", parts[2], parts[3]))).as("another version").isEmpty();
        assertThat(ids.read("shoes", String.join(".", Long.toString(time.toEpochMilli() + 1, 36), parts[1], parts[2], parts[3])))
                .as("another time").isEmpty();
        for (int i = 0; i < id.length(); i++) {
            char other = id.charAt(i) == 'A' ? 'B' : 'A';
            assertThat(ids.read("shoes", id.substring(0, i) + other + id.substring(i + 1))).as("character " + i).isEmpty();
        }
        assertThat(ids.read("shoes", id + ".x")).isEmpty();
        assertThat(ids.read("shoes", "")).isEmpty();
        assertThat(ids.read("shoes", null)).isEmpty();
        assertThat(ids.read("shoes", "x".repeat(PredictionIds.MAX_LENGTH + 1))).isEmpty();
    }
}
