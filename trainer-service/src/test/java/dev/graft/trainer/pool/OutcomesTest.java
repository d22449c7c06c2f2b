package dev.graft.trainer.pool;

import dev.graft.contract.events.TrainingEvent;
import dev.graft.trainer.storage.TrainerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class OutcomesTest {
    @TempDir
    Path root;

    @Test
    void anOutcomeOutlivesTheProcessThatRecordedIt() {
        new Outcomes(TrainerState.folder(root)).record(TrainingEvent.succeeded("cats-1", "cats", 3, "stored cats version 3"));

        Outcomes anotherTrainer = new Outcomes(TrainerState.folder(root));
        assertThat(anotherTrainer.outcome("cats-1")).hasValueSatisfying(e -> {
            assertThat(e.type()).isEqualTo(TrainingEvent.Type.SUCCEEDED);
            assertThat(e.version()).isEqualTo(3);
        });
        assertThat(anotherTrainer.outcome("cats-2")).isEmpty();
    }

    @Test
    void aRequestIdNeverNamesAPath() throws IOException {
        Outcomes outcomes = new Outcomes(TrainerState.folder(root));
        outcomes.record(TrainingEvent.failed("../../escape", "m", "no data"));

        assertThat(outcomes.outcome("../../escape")).hasValueSatisfying(e -> assertThat(e.message()).isEqualTo("no data"));
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile))
                    .singleElement().satisfies(f -> assertThat(f.getParent()).isEqualTo(root.resolve("outcomes")));
        }
    }

    @Test
    void anUnreadableRecordCountsAsUnknownAndAnUnwritableFolderDoesNotThrow() throws IOException {
        Outcomes outcomes = new Outcomes(TrainerState.folder(root));
        outcomes.record(TrainingEvent.failed("r", "m", "reason"));
        try (Stream<Path> files = Files.list(root.resolve("outcomes"))) {
            Files.writeString(files.findFirst().orElseThrow(), "{broken");
        }
        assertThat(outcomes.outcome("r")).isEmpty();

        Path blocked = root.resolve("blocked");
        Files.writeString(blocked, "a file where the state folder would go");
        new Outcomes(TrainerState.folder(blocked)).record(TrainingEvent.failed("r", "m", "reason"));
    }
}
