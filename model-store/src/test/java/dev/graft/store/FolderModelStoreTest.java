package dev.graft.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class FolderModelStoreTest extends ModelStoreContract {
    @TempDir
    Path root;

    @Override
    Blobs blobs() {
        return new FolderBlobs(root);
    }

    @Override
    Blobs otherClient() {
        return new FolderBlobs(root);
    }

    @Test
    void aFolderStoreIsReadInPlaceWithoutACache() throws Exception {
        assertThat(blobs().isLocal()).isTrue();
        ModelStore store = new ModelStore(blobs(), null);
        var manifest = store.publish(draft("cats"), p -> Files.writeString(p, "weights"));
        assertThat(store.verify(manifest)).isEqualTo(root.resolve("cats/1/model.zip"));
        assertThat(store.folder()).contains(root.toAbsolutePath().normalize());
    }
}
