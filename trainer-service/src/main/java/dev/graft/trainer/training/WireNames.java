package dev.graft.trainer.training;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Request fields that name one constant of an enum: the constant's name in lower case. */
final class WireNames {
    private WireNames() {
    }

    static String of(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    static <E extends Enum<E>> List<String> all(E[] constants) {
        return Arrays.stream(constants).map(WireNames::of).toList();
    }

    /** Null (not given) is {@code absent}; an unknown name is empty. */
    static <E extends Enum<E>> Optional<E> parse(E[] constants, String name, E absent) {
        if (name == null) {
            return Optional.of(absent);
        }
        return Arrays.stream(constants).filter(c -> of(c).equals(name)).findFirst();
    }
}
