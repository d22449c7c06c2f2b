package dev.graft.bench.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the engine benchmark reads from its peer's output, run as a process as bin/torch_peer.py is. */
class TorchPeerTest {
    @TempDir
    Path dir;

    @Test
    void readsTheRatesOfAResNetLineWithItsTopAndMultiplyAdds() throws Exception {
        TorchPeer.Run run = peer("echo 'torch 1.13.0a0 resnet50@72 threads 2: train b32 27.1 img/s, forward b16 70.2 img/s,"
                + " forward b1 6.6 img/s, train top b32 69.8 img/s; multiply-adds per image: torchvision v1.5 0.519 G, keras v1 0.496 G'")
                .run("resnet50", 72, 1);
        assertThat(run.rates()).isEqualTo(new Rates(27.1, 69.8, 70.2, 6.6));
        assertThat(run.note()).isEqualTo("multiply-adds per image: torchvision v1.5 0.519 G, keras v1 0.496 G");
    }

    @Test
    void aSmallNetworkHasNoTopAndNoNote() throws Exception {
        TorchPeer.Run run = peer("echo 'torch 1.13.0a0 small-convnet@48 threads 2: train b32 656.7 img/s, forward b16 1693.6 img/s,"
                + " forward b1 212.1 img/s'").run("small-convnet", 48, 1);
        assertThat(run.rates().train()).isEqualTo(656.7);
        assertThat(run.rates().trainTop()).isNaN();
        assertThat(run.note()).isEmpty();
    }

    @Test
    void passesTheNetworkTimeAndSizeAndFailsWithThePeersOutput() throws Exception {
        assertThatThrownBy(() -> peer("echo \"args: $*\"; echo 'no module named torchvision' >&2; exit 1").run("resnet50", 224, 2.5))
                .hasMessageContaining("args: resnet50 2.5 224").hasMessageContaining("no module named torchvision");
    }

    /** A peer that is a shell script: TorchPeer runs {@code sh SCRIPT NETWORK SECONDS SIZE}. */
    private TorchPeer peer(String body) throws Exception {
        Path script = Files.writeString(dir.resolve("peer.sh"), body + "\n");
        return new TorchPeer("/bin/sh", script.toString());
    }
}
