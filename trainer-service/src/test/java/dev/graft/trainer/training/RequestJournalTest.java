package dev.graft.trainer.training;

import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.store.ModelStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestJournalTest {
    @TempDir
    Path root;

    @Test
    void anOutcomeOutlivesTheProcessThatRecordedIt() {
        new RequestJournal(new ModelStore(root)).record(TrainingEvent.succeeded("cats-1", "cats", 3, "stored cats version 3"));

        RequestJournal afterRestart = new RequestJournal(new ModelStore(root));
        assertThat(afterRestart.outcome("cats-1")).hasValueSatisfying(e -> {
            assertThat(e.type()).isEqualTo(TrainingEvent.Type.SUCCEEDED);
            assertThat(e.version()).isEqualTo(3);
        });
        assertThat(afterRestart.outcome("cats-2")).isEmpty();
    }

    @Test
    void aRequestIdNeverNamesAPathAndTheStoreListsNoModelForTheJournal() throws IOException {
        RequestJournal journal = new RequestJournal(new ModelStore(root));
        journal.record(TrainingEvent.failed("../../escape", "m", "no data"));

        assertThat(journal.outcome("../../escape")).hasValueSatisfying(e -> assertThat(e.message()).isEqualTo("no data"));
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile))
                    .singleElement().satisfies(f -> assertThat(f.getParent()).isEqualTo(root.resolve(".trainer/requests")));
        }
        assertThat(new ModelStore(root).models()).isEmpty();
    }

    @Test
    void anUnreadableRecordCountsAsUnknownAndAnUnwritableJournalDoesNotThrow() throws IOException {
        RequestJournal journal = new RequestJournal(new ModelStore(root));
        journal.record(TrainingEvent.failed("r", "m", "reason"));
        try (Stream<Path> files = Files.list(root.resolve(".trainer/requests"))) {
            Files.writeString(files.findFirst().orElseThrow(), "{broken");
        }
        assertThat(journal.outcome("r")).isEmpty();

        Path blocked = root.resolve("blocked");
        Files.writeString(blocked, "a file where the journal's folder would go");
        new RequestJournal(new ModelStore(blocked)).record(TrainingEvent.failed("r", "m", "reason"));
    }

    @Test
    void aPendingRequestIsKeptUntilItsOutcomeAndCountsItsStarts() {
        RequestJournal journal = new RequestJournal(new ModelStore(root));
        PendingRequest first = new PendingRequest("a", "{\"requestId\": \"a\"}", "graft.training.requests", 0, 7,
                Instant.parse("2026-11-24T10:00:00Z"), 0);
        PendingRequest second = new PendingRequest("b", "{\"requestId\": \"b\"}", "graft.training.requests", 0, 8,
                Instant.parse("2026-11-24T10:00:01Z"), 0);
        journal.accept(second);
        journal.accept(first);
        journal.attempt(first);

        RequestJournal afterRestart = new RequestJournal(new ModelStore(root));
        assertThat(afterRestart.pending()).extracting(PendingRequest::requestId).containsExactly("a", "b");
        assertThat(afterRestart.pending("a")).hasValueSatisfying(p -> {
            assertThat(p.attempts()).isEqualTo(1);
            assertThat(p.sameRecord("graft.training.requests", 0, 7)).isTrue();
            assertThat(p.sameRecord("graft.training.requests", 0, 9)).isFalse();
        });

        afterRestart.record(TrainingEvent.succeeded("a", "m", 1, "stored"));
        assertThat(afterRestart.pending()).extracting(PendingRequest::requestId).containsExactly("b");
        assertThat(afterRestart.pending("a")).isEmpty();
    }

    @Test
    void aRequestThatCannotBeKeptIsRefusedSoItsRecordIsNotAcknowledgedAsTaken() throws IOException {
        Path blocked = root.resolve("blocked");
        Files.writeString(blocked, "a file where the journal's folder would go");
        RequestJournal journal = new RequestJournal(new ModelStore(blocked));
        PendingRequest pending = new PendingRequest("a", "{}", "t", 0, 1, Instant.now(), 0);

        assertThatThrownBy(() -> journal.accept(pending)).hasMessageContaining("cannot keep request a");
        assertThat(journal.pending()).isEmpty();
    }
}
