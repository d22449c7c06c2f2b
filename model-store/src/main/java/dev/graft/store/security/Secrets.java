package dev.graft.store.security;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Secrets from configuration, refused at start when they are a value from an example file or a
 * tutorial: a service that runs with one is as open as a service with none, and looks closed.
 */
public final class Secrets {
    static final Set<String> PLACEHOLDERS = Set.of("change-me", "change-me-too", "changeme", "admin", "password",
            "secret", "none", "null", "test", "key", "api-key", "minioadmin", "your-key-here");

    private Secrets() {
    }

    /** The value, unless it is blank or a known placeholder (then an IllegalArgumentException naming the property). */
    public static Optional<String> requireReal(String property, Optional<String> value) {
        value.ifPresent(v -> {
            if (v.isBlank() || PLACEHOLDERS.contains(v.trim().toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException(property + " is set to a placeholder ('" + (v.isBlank() ? "" : v.trim())
                        + "'): set a real secret (e.g. 'openssl rand -hex 32'), or leave it unset");
            }
        });
        return value;
    }
}
