package dev.graft.trainer.pool;

import dev.graft.contract.events.TrainingEvent;
import dev.graft.store.ModelStore;
import dev.graft.trainer.storage.TrainerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** What GET /api/trainings/{id} answers from on any trainer: its memory, else the pool's shared state. */
class TrainingRegistryTest {
    @TempDir
    Path root;

    private TrainerState state() {
        return TrainerState.folder(root.resolve("state"));
    }

    private PoolSettings trainer(String name) {
        return new PoolSettings(name, "graft-trainer", Duration.ofSeconds(15));
    }

    /** The registry of a trainer that ran none of these: nothing in memory, the shared state on disk. */
    private TrainingRegistry another(String name) {
        PoolSettings pool = trainer(name);
        return new TrainingRegistry(new ModelStore(root.resolve("models")), new Outcomes(state()),
                new Claims(pool, state()), new KnownRequests(state()), pool);
    }

    @Test
    void outcomesAndRunningClaimsOfOtherTrainersAreKnownWithTheTrainerThatRanThem() {
        PoolSettings a = trainer("trainer-a");
        Outcomes outcomes = new Outcomes(state());
        Claims claims = new Claims(a, state());
        claims.take("no-data", new RequestRecord("no-data", "{}", "graft.training.requests", 0, 1, 1, java.util.Map.of()));
        outcomes.record(TrainingEvent.failed("no-data", "cats", "dataset folder cats/train does not exist"));
        outcomes.record(TrainingEvent.cancelled("stopped", "dogs", "cancelled in the frozen phase, epoch 2"));
        claims.take("running", new RequestRecord("running", "{}", "graft.training.requests", 0, 2, 1, java.util.Map.of()));

        TrainingRegistry registry = another("trainer-b");
        assertThat(registry.find("no-data")).hasValueSatisfying(s -> {
            assertThat(s.state()).isEqualTo(TrainingRegistry.State.FAILED);
            assertThat(s.model()).isEqualTo("cats");
            assertThat(s.message()).contains("does not exist");
            assertThat(s.trainer()).isEqualTo("trainer-a");
        });
        assertThat(registry.find("stopped")).hasValueSatisfying(s -> {
            assertThat(s.state()).isEqualTo(TrainingRegistry.State.CANCELLED);
            assertThat(s.message()).contains("epoch 2");
        });
        assertThat(registry.find("running")).hasValueSatisfying(s -> {
            assertThat(s.state()).isEqualTo(TrainingRegistry.State.RUNNING);
            assertThat(s.trainer()).isEqualTo("trainer-a");
        });
        assertThat(registry.find("never-sent")).isEmpty();
    }

    @Test
    void aTrainingPushedOutOfMemoryByLaterOnesIsStillAnswered() {
        PoolSettings pool = trainer("trainer-a");
        Outcomes outcomes = new Outcomes(state());
        TrainingRegistry registry = new TrainingRegistry(new ModelStore(root.resolve("models")), outcomes,
                new Claims(pool, state()), new KnownRequests(state()), pool);
        // as the trainer does: the outcome into the registry and the shared state
        registry.failed("first", "m", "the first reason");
        outcomes.record(TrainingEvent.failed("first", "m", "the first reason"));
        for (int i = 0; i < 600; i++) {
            registry.failed("later-" + i, "m", "later");
        }

        assertThat(registry.find("first")).hasValueSatisfying(s -> {
            assertThat(s.state()).isEqualTo(TrainingRegistry.State.FAILED);
            assertThat(s.message()).isEqualTo("the first reason");
        });
    }

    @Test
    void aRefusalAtValidationIsAnsweredByEveryTrainerButIsNotAnOutcome() {
        Outcomes outcomes = new Outcomes(state());
        outcomes.recordRejection(TrainingEvent.failed("refused", "m", "unknown architecture 'resnet9000'"));
        assertThat(outcomes.outcome("refused")).as("not an outcome: sent again corrected, it is trained").isEmpty();
        assertThat(another("trainer-b").find("refused")).hasValueSatisfying(s -> {
            assertThat(s.state()).isEqualTo(TrainingRegistry.State.FAILED);
            assertThat(s.message()).isEqualTo("unknown architecture 'resnet9000'");
        });

        // the corrected request, taken and ended since: its own answer, not the refusal
        new Claims(trainer("trainer-a"), state()).take("refused", new RequestRecord("refused", "{}", "graft.training.requests", 0, 9, 1, java.util.Map.of()));
        outcomes.record(TrainingEvent.cancelled("refused", "m", "cancelled in the frozen phase, epoch 1"));
        assertThat(another("trainer-c").find("refused")).hasValueSatisfying(s ->
                assertThat(s.state()).isEqualTo(TrainingRegistry.State.CANCELLED));
    }
}
