package dev.graft.store.security;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.URL;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JVM-wide filter lets strings, boxed numbers and primitive arrays through and nothing else. */
class SerialFilterTest {
    record Foreign(String name) implements Serializable {
    }

    private static byte[] serialized(Object object) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(object);
        }
        return bytes.toByteArray();
    }

    private static Object read(byte[] bytes) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return in.readObject();
        }
    }

    @Test
    void onceInstalledOnlyStringsNumbersAndPrimitiveArraysAreDeserialized() throws Exception {
        SerialFilter.install();
        SerialFilter.install();   // idempotent: the services and the CLI may each call it
        assertThat(SerialFilter.installed()).isTrue();
        assertThat(read(serialized("text"))).isEqualTo("text");
        assertThat(read(serialized(42L))).isEqualTo(42L);
        assertThat((float[]) read(serialized(new float[]{1, 2}))).containsExactly(1, 2);
        for (Object foreign : new Object[]{new Foreign("x"), new HashMap<>(Map.of("a", 1)), new URL("http://example.org/"),
                new Object[]{"text"}}) {
            byte[] bytes = serialized(foreign);
            assertThatThrownBy(() -> read(bytes)).as(foreign.getClass().getName())
                    .isInstanceOf(InvalidClassException.class).hasMessageContaining("REJECTED");
        }
    }

    @Test
    void placeholderSecretsAreRefusedWithTheProperty() {
        for (String placeholder : new String[]{"change-me", "Change-Me-Too", "minioadmin", "  "}) {
            assertThatThrownBy(() -> Secrets.requireReal("graft.s3.secret-access-key", Optional.of(placeholder)))
                    .as(placeholder).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("graft.s3.secret-access-key is set to a placeholder");
        }
        assertThat(Secrets.requireReal("k", Optional.of("graft-local-secret"))).contains("graft-local-secret");
        assertThat(Secrets.requireReal("k", Optional.empty())).isEmpty();
    }
}
