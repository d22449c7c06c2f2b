package dev.graft.trainer.config;

import dev.graft.shared.security.SerialFilter;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** Sets the JVM-wide Java deserialization filter as the service starts ({@link SerialFilter} says why). */
@ApplicationScoped
class DeserializationFilter {
    void install(@Observes StartupEvent started) {
        SerialFilter.install();
    }
}
