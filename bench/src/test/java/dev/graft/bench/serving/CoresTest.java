package dev.graft.bench.serving;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The serving benchmark's split of the cores, on this machine's real taskset (skipped on one core). */
class CoresTest {
    @Test
    void readsALinuxCpuList() {
        assertThat(Cores.cpus("0-3,6")).containsExactly(0, 1, 2, 3, 6);
        assertThat(Cores.cpus("5")).containsExactly(5);
    }

    @Test
    void startsAProcessOnTheServiceCoreAloneWithOneOpenMpThread() throws Exception {
        StringBuilder why = new StringBuilder();
        Optional<Cores> cores = Cores.split(why);
        assumeTrue(cores.isPresent(), () -> "not split here: " + why);
        assumeTrue(System.getenv("OMP_NUM_THREADS") == null, "OMP_NUM_THREADS set: the benchmark keeps the caller's");
        List<String> command = new ArrayList<>(cores.get().onServiceCore());
        command.addAll(List.of("sh", "-c", "grep Cpus_allowed_list /proc/self/status; echo threads=$OMP_NUM_THREADS"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(output).isZero();
        assertThat(output).containsPattern("Cpus_allowed_list:\\s+" + cores.get().service() + "\\n").contains("threads=1");
        assertThat(cores.get().others().split(",")).isNotEmpty().doesNotContain(String.valueOf(cores.get().service()));
    }
}
