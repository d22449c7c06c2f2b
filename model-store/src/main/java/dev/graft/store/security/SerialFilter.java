package dev.graft.store.security;

import java.io.ObjectInputFilter;
import java.util.logging.Logger;

/**
 * The JVM-wide Java deserialization filter of Graft's services and CLI. Graft's model files, checkpoints
 * and converted weights hold JSON and ND4J's own binary arrays, no Java-serialized object, so nothing
 * beyond strings and boxed numbers may be deserialized: whoever can write to a model store or the state
 * bucket cannot reach a gadget chain through DL4J's {@code ObjectInputStream} (its restore reads a
 * {@code preprocessor.bin} if a zip holds one). This module is shared by all three,
 * hence this class here; arrays of primitives pass the filter, every other class is rejected.
 */
public final class SerialFilter {
    public static final String PATTERN = "maxdepth=5;maxrefs=1000;maxarray=100000;maxbytes=1000000;"
            + "java.lang.String;java.lang.Number;java.lang.Integer;java.lang.Long;java.lang.Float;java.lang.Double;"
            + "java.lang.Short;java.lang.Byte;java.lang.Boolean;java.lang.Character;!*";
    private static final ObjectInputFilter FILTER = ObjectInputFilter.Config.createFilter(PATTERN);

    private SerialFilter() {
    }

    /** Sets the filter once per JVM; an operator's own {@code -Djdk.serialFilter} is kept, and said so. */
    public static synchronized void install() {
        ObjectInputFilter current = ObjectInputFilter.Config.getSerialFilter();
        if (current == FILTER) {
            return;
        }
        if (current != null) {
            Logger.getLogger(SerialFilter.class.getName()).warning("a Java deserialization filter is already set ("
                    + current + "); Graft's own (" + PATTERN + ") is not installed");
            return;
        }
        ObjectInputFilter.Config.setSerialFilter(FILTER);
    }

    public static boolean installed() {
        return ObjectInputFilter.Config.getSerialFilter() == FILTER;
    }
}
