package dev.graft.bench.engine;

import dev.graft.imaging.engine.Engine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code bin/torch_peer.py}: the same networks and loop in PyTorch, one run a process, its rates read from its output. */
final class TorchPeer {
    private static final Pattern RATES = Pattern.compile(
            "train b32 ([0-9.]+) img/s, forward b16 ([0-9.]+) img/s, forward b1 ([0-9.]+) img/s(?:, train top b32 ([0-9.]+) img/s)?(?:; (.*))?");

    /** The peer's rates, and what it says of the network besides (ResNet50: multiply-adds per image). */
    record Run(Rates rates, String note) {
    }

    private final String python;
    private final String script;

    TorchPeer(String python, String script) {
        this.python = python;
        this.script = script;
    }

    Run run(String architecture, int size, double seconds) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(python, script, architecture, String.valueOf(seconds), String.valueOf(size))
                .redirectErrorStream(true);
        // the trainer's oneDNN cap (docs/performance.md#onednn-on-avx-512) would slow PyTorch's oneDNN too: the
        // peer runs as PyTorch users run it
        builder.environment().remove(Engine.ONEDNN_MAX_ISA);
        Process process = builder.start();
        StringBuilder output = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            lines.lines().forEach(line -> output.append(line).append('\n'));
        }
        Matcher m = RATES.matcher(output);
        if (process.waitFor() != 0 || !m.find()) {
            throw new IllegalStateException("the PyTorch peer (" + python + " " + script + ") failed:\n" + output);
        }
        return new Run(new Rates(Double.parseDouble(m.group(1)), m.group(4) == null ? Double.NaN : Double.parseDouble(m.group(4)),
                Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))), m.group(5) == null ? "" : m.group(5).trim());
    }
}
