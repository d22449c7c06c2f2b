package dev.graft.bench.serving;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a load phase measured; {@code answered}: when each 200 came, in nanoseconds since the phase began;
 * CPU seconds the service and this process (the clients, the broker) used meanwhile.
 */
record Load(int ok, List<String> failures, long[] latencies, double seconds, long[] answered,
            double serviceCpu, double clientCpu) {
    double perSecond() {
        return ok / seconds;
    }

    /**
     * Answers per second in each whole {@code slice}-second part of the phase (the remainder left
     * out): how long the service takes to warm up.
     */
    List<Long> bySlice(int slice) {
        long[] counts = new long[(int) Math.max(1, Math.floor(seconds / slice))];
        for (long at : answered) {
            int index = (int) (at / (slice * 1_000_000_000L));
            if (index < counts.length) {
                counts[index]++;
            }
        }
        return Arrays.stream(counts).map(c -> Math.round((double) c / slice)).boxed().toList();
    }

    /** Two phases of the same load as one. */
    Load and(Load other) {
        long[] all = Stream.of(latencies, other.latencies).flatMapToLong(Arrays::stream).sorted().toArray();
        List<String> failed = new ArrayList<>(failures);
        failed.addAll(other.failures);
        return new Load(ok + other.ok, failed, all, seconds + other.seconds, new long[0], serviceCpu + other.serviceCpu,
                clientCpu + other.clientCpu);
    }

    double percentile(double p) {
        if (latencies.length == 0) {
            return Double.NaN;
        }
        return latencies[Math.min(latencies.length - 1, (int) Math.ceil(p * latencies.length) - 1)] / 1e6;
    }
}
