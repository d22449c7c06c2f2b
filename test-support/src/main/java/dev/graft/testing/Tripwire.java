package dev.graft.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A class whose deserialization has a side effect a test can see: the first link of a gadget chain,
 * planted in a model zip as the {@code preprocessor.bin} that DL4J's restore reads with Java serialization.
 */
public final class Tripwire implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final AtomicInteger FIRED = new AtomicInteger();

    /** How often any Tripwire was deserialized in this JVM. */
    public static int fired() {
        return FIRED.get();
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        FIRED.incrementAndGet();
    }

    /** Adds a {@code preprocessor.bin} holding a Tripwire to a DL4J zip, in place. */
    public static void plant(Path zip) {
        try (FileSystem entries = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), Map.of())) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(new Tripwire());
            }
            Files.write(entries.getPath("preprocessor.bin"), bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot plant a tripwire in " + zip, e);
        }
    }
}
