package dev.graft.bench.serving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The serving benchmarks' split of the machine: one core for the measured service (and for the in-process
 * limit, measured in a process of its own on that core), the others for this process, its HTTP clients and
 * the Kafka broker. Pinned with {@code taskset}, so that the clients' CPU is not taken from the service's.
 */
record Cores(int service, String others) {
    private static final String OMP_THREADS = "OMP_NUM_THREADS";

    /** The split of the cores this process may run on, or empty (one core, or no taskset) with the reason. */
    static Optional<Cores> split(StringBuilder why) throws IOException {
        List<Integer> allowed = allowed();
        if (allowed.size() < 2) {
            why.append("one core");
            return Optional.empty();
        }
        if (!onPath("taskset")) {
            why.append("no taskset (util-linux)");
            return Optional.empty();
        }
        List<String> rest = allowed.subList(1, allowed.size()).stream().map(String::valueOf).toList();
        return Optional.of(new Cores(allowed.get(0), String.join(",", rest)));
    }

    /**
     * The command prefix that starts a process on the service's core, with one OpenMP thread unless
     * OMP_NUM_THREADS is set: libnd4j sizes its threads by the machine's cores, not by the affinity mask.
     */
    List<String> onServiceCore() {
        List<String> prefix = new ArrayList<>(List.of("taskset", "-c", String.valueOf(service)));
        if (System.getenv(OMP_THREADS) == null) {
            prefix.addAll(List.of("env", OMP_THREADS + "=1"));
        }
        return prefix;
    }

    /** Moves every thread of this process to the other cores; threads started later inherit it. */
    void pinThisProcess() throws IOException, InterruptedException {
        Process taskset = new ProcessBuilder("taskset", "-a", "-p", "-c", others, String.valueOf(ProcessHandle.current().pid()))
                .redirectErrorStream(true).start();
        String output = new String(taskset.getInputStream().readAllBytes());
        if (taskset.waitFor() != 0) {
            throw new IllegalStateException("taskset could not pin the benchmark to cores " + others + ": " + output);
        }
    }

    /** The CPUs in this process's affinity mask ({@code Cpus_allowed_list} in /proc/self/status). */
    private static List<Integer> allowed() throws IOException {
        return cpus(Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElseThrow());
    }

    /** The CPUs of a Linux CPU list, e.g. {@code 0-3,6}. */
    static List<Integer> cpus(String list) {
        List<Integer> cpus = new ArrayList<>();
        for (String range : list.split(",")) {
            String[] ends = range.split("-");
            for (int cpu = Integer.parseInt(ends[0]); cpu <= Integer.parseInt(ends[ends.length - 1]); cpu++) {
                cpus.add(cpu);
            }
        }
        return cpus;
    }

    private static boolean onPath(String command) {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":")).filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }
}
