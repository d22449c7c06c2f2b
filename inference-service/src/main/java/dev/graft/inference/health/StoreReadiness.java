package dev.graft.inference.health;

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

/** DOWN, with the reason, while the model store cannot be read: a missing bucket, refused credentials, no answer. */
@Readiness
@ApplicationScoped
public class StoreReadiness implements HealthCheck {
    private static final Logger LOG = Logger.getLogger(StoreReadiness.class);

    private final ModelStore store;
    private final StorageCheck check;

    public StoreReadiness(ModelStore store) {
        this.store = store;
        this.check = new StorageCheck(store::check, Duration.ofSeconds(5));
    }

    void atStart(@Observes StartupEvent event) {
        check.problem().ifPresentOrElse(
                problem -> LOG.errorf("the model store %s cannot be used: %s", store.location(), problem),
                () -> LOG.infof("model store: %s", store.location()));
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("model-store").withData("location", store.location());
        check.problem().ifPresent(problem -> response.withData("problem", problem));
        store.cache().ifPresent(cache -> response.withData("cacheBytes", cache.sizeBytes())
                .withData("cacheMaxBytes", cache.maxBytes()));
        return response.status(check.problem().isEmpty()).build();
    }
}
