package dev.graft.inference.versions;

import dev.graft.shared.store.ModelStore;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;

/** The model store this service serves from ({@code graft.store.root}). */
public class ModelStoreProducer {
    @Produces
    @Singleton
    ModelStore modelStore(@ConfigProperty(name = "graft.store.root", defaultValue = ".graft/models") String root) {
        return new ModelStore(Path.of(root));
    }
}
