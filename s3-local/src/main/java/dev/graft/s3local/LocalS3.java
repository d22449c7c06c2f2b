package dev.graft.s3local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The local S3 server as a child process, for tests: {@link #start} it on a free port, {@link #stop}
 * it to make storage unreachable, {@link #restart} it on the same port and folder. It runs in its own
 * JVM so that s3proxy's libraries never meet a service's.
 */
public final class LocalS3 implements AutoCloseable {
    public static final String ACCESS_KEY = "graft";
    public static final String SECRET_KEY = "graft-local-secret";

    private final Path dir;
    private final int port;
    private final List<String> buckets;
    private Process process;

    private LocalS3(Path dir, int port, List<String> buckets) {
        this.dir = dir;
        this.port = port;
        this.buckets = buckets;
    }

    public static LocalS3 start(Path dir, String... buckets) {
        LocalS3 s3 = new LocalS3(dir, freePort(), List.of(buckets));
        s3.launch();
        return s3;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public Path dir() {
        return dir;
    }

    public synchronized void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    public synchronized void restart() {
        stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }

    private synchronized void launch() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx512m", "-jar", jar().toString(),
                "--dir", dir.toString(), "--port", Integer.toString(port), "--buckets", String.join(",", buckets),
                "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY)
                .redirectErrorStream(true);
        try {
            Files.createDirectories(dir);
            process = builder.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("READY ")) {
                    Thread drain = new Thread(() -> drain(out), "s3-local-output");
                    drain.setDaemon(true);
                    drain.start();
                    return;
                }
                seen.append(line).append('\n');
            }
            throw new IllegalStateException("the local S3 server exited before it was ready:\n" + seen);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the local S3 server", e);
        }
    }

    private static void drain(BufferedReader out) {
        try {
            while (out.readLine() != null) {
                // keep the pipe from filling; warnings go to the server's own stderr lines
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    /** The packaged jar (its lib/ beside it): next to this class when built, else in the checkout's s3-local/target. */
    static Path jar() {
        try {
            Path codeSource = Path.of(LocalS3.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path target = codeSource.getParent(); // target/classes or target/s3-local-*.jar
            if (target != null && target.getFileName() != null && target.getFileName().toString().equals("target")) {
                Path found = jarIn(target);
                if (found != null) {
                    return found;
                }
            }
        } catch (URISyntaxException | RuntimeException ignored) {
            // fall through to the checkout
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path found = jarIn(dir.resolve("s3-local").resolve("target"));
            if (found != null) {
                return found;
            }
        }
        throw new IllegalStateException("no packaged s3-local jar: run 'mvn -pl s3-local package' first");
    }

    private static Path jarIn(Path target) {
        if (!Files.isDirectory(target.resolve("lib"))) {
            return null;
        }
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(f -> f.getFileName().toString().matches("s3-local-.*\\.jar")).findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
