package dev.graft.inference.config;

import dev.graft.store.security.SerialFilter;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

/** Sets the JVM-wide Java deserialization filter as the service starts ({@link SerialFilter} says why). */
@ApplicationScoped
class DeserializationFilter {
    /** Before any other start-up observer: the first loads and restores may begin in those. */
    void install(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent started) {
        SerialFilter.install();
    }
}
