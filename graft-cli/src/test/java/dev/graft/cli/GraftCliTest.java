package dev.graft.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line's contract with bin/graft: exit codes 0 / 1 / 2, and errors in one readable line. */
class GraftCliTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void captureErr() {
        originalErr = System.err;
        System.setErr(new PrintStream(err, true));
    }

    @AfterEach
    void restoreErr() {
        System.setErr(originalErr);
    }

    @Test
    void usageErrorsExitWith2AndNameTheProblem() {
        assertThat(GraftCli.execute()).isEqualTo(2);
        assertThat(err.toString()).contains("name a command").contains("Usage: graft");
        assertThat(GraftCli.execute("predict", "only-a-model")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required parameter: 'IMAGE'");
        assertThat(GraftCli.execute("demo", "--epochs", "many")).isEqualTo(2);
        assertThat(err.toString()).contains("'many' is not an int");
        assertThat(GraftCli.execute("eval", "--per-class", "10,0")).isEqualTo(2);
        assertThat(err.toString()).contains("--per-class takes 1 to 800 images per class");
        assertThat(GraftCli.execute("eval", "--per-class", "10", "--size", "64")).isEqualTo(2);
        assertThat(err.toString()).contains("--size is the comparison's input size");
        assertThat(GraftCli.execute("eval", "--base", "model:fashion-classifier")).isEqualTo(2);
        assertThat(err.toString()).contains("the full run takes --base imagenet");
        assertThat(GraftCli.execute("--help")).isZero();
    }

    @Test
    void aServiceThatIsNotThereFailsWith1AndSaysSo() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Path image = Files.write(dir.resolve("x.png"), new byte[]{1, 2, 3});
        assertThat(GraftCli.execute("predict", "--inference-url", "http://127.0.0.1:" + closedPort, "m", image.toString()))
                .isEqualTo(1);
        assertThat(err.toString()).startsWith("graft: cannot connect (is Graft running? bin/graft up)");
    }
}
