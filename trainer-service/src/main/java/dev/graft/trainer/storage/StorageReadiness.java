package dev.graft.trainer.storage;

import dev.graft.store.ModelStore;
import dev.graft.store.StorageCheck;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;

/**
 * DOWN, with the reason, while the model store or the pool's state cannot be used (a missing
 * bucket, refused credentials, no answer): a trainer that could not publish should take no request.
 */
@Readiness
@ApplicationScoped
public class StorageReadiness implements HealthCheck {
    private static final Logger LOG = Logger.getLogger(StorageReadiness.class);

    private final ModelStore store;
    private final TrainerState state;
    private final StorageCheck storeCheck;
    private final StorageCheck stateCheck;

    public StorageReadiness(ModelStore store, TrainerState state) {
        this.store = store;
        this.state = state;
        this.storeCheck = new StorageCheck(store::check, Duration.ofSeconds(5));
        this.stateCheck = new StorageCheck(state.blobs()::check, Duration.ofSeconds(5));
    }

    void atStart(@Observes StartupEvent event) {
        storeCheck.problem().ifPresentOrElse(
                problem -> LOG.errorf("the model store %s cannot be used: %s", store.location(), problem),
                () -> LOG.infof("model store: %s", store.location()));
        stateCheck.problem().ifPresentOrElse(
                problem -> LOG.errorf("the trainer state %s cannot be used: %s", state.location(), problem),
                () -> LOG.infof("trainer state: %s", state.location()));
    }

    /** Why this trainer cannot store anything now, if it cannot. */
    public Optional<String> problem() {
        return storeCheck.problem().map(p -> "model store: " + p)
                .or(() -> stateCheck.problem().map(p -> "trainer state: " + p));
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("storage")
                .withData("modelStore", store.location())
                .withData("state", state.location());
        Optional<String> problem = problem();
        problem.ifPresent(p -> response.withData("problem", p));
        return response.status(problem.isEmpty()).build();
    }
}
