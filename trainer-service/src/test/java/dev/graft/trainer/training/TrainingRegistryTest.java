package dev.graft.trainer.training;

import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.store.ModelStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** What GET /api/trainings/{id} answers from: memory for recent trainings, the journal for every other. */
class TrainingRegistryTest {
    @TempDir
    Path root;

    /** A registry as a freshly started trainer has it: nothing in memory, the journal on disk. */
    private TrainingRegistry restarted() {
        ModelStore store = new ModelStore(root);
        return new TrainingRegistry(store, new RequestJournal(store));
    }

    @Test
    void failedCancelledAndWaitingRequestsAreKnownAfterARestart() {
        RequestJournal journal = new RequestJournal(new ModelStore(root));
        journal.record(TrainingEvent.failed("no-data", "cats", "dataset folder cats/train does not exist"));
        journal.record(TrainingEvent.cancelled("stopped", "dogs", "cancelled in the frozen phase, epoch 2"));
        journal.accept(new PendingRequest("waiting", "{}", "graft.training.requests", 0, 7, Instant.now(), 1));

        TrainingRegistry registry = restarted();
        assertThat(registry.find("no-data")).hasValueSatisfying(s -> {
            assertThat(s.state()).isEqualTo(TrainingRegistry.State.FAILED);
            assertThat(s.model()).isEqualTo("cats");
            assertThat(s.message()).contains("does not exist");
        });
        assertThat(registry.find("stopped")).hasValueSatisfying(s -> {
            assertThat(s.state()).isEqualTo(TrainingRegistry.State.CANCELLED);
            assertThat(s.message()).contains("epoch 2");
        });
        assertThat(registry.find("waiting")).hasValueSatisfying(s -> assertThat(s.state()).isEqualTo(TrainingRegistry.State.QUEUED));
        assertThat(registry.find("never-sent")).isEmpty();
    }

    @Test
    void aTrainingPushedOutOfMemoryByLaterOnesIsStillAnswered() {
        ModelStore store = new ModelStore(root);
        RequestJournal journal = new RequestJournal(store);
        TrainingRegistry registry = new TrainingRegistry(store, journal);
        // as the trainer does: the outcome into the registry and the journal
        registry.failed("first", "m", "the first reason");
        journal.record(TrainingEvent.failed("first", "m", "the first reason"));
        for (int i = 0; i < 600; i++) {
            registry.failed("later-" + i, "m", "later");
        }

        assertThat(registry.find("first")).hasValueSatisfying(s -> {
            assertThat(s.state()).isEqualTo(TrainingRegistry.State.FAILED);
            assertThat(s.message()).isEqualTo("the first reason");
        });
    }
}
