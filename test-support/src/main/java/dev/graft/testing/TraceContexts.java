package dev.graft.testing;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** W3C trace context for tests that send a {@code traceparent} as a traced caller would. */
public final class TraceContexts {
    private TraceContexts() {
    }

    /** A random trace id: 32 hex digits, never all zeros. */
    public static String traceId() {
        return hex(16);
    }

    /** A random span id: 16 hex digits, never all zeros. */
    public static String spanId() {
        return hex(8);
    }

    /** A sampled {@code traceparent} naming that trace and parent span. */
    public static String traceparent(String traceId, String spanId) {
        return "00-" + traceId + "-" + spanId + "-01";
    }

    private static String hex(int bytes) {
        byte[] id = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(id);
        id[0] |= 1;
        return HexFormat.of().formatHex(id);
    }
}
