package dev.graft.s3local;

import java.io.IOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * {@code java -jar s3-local.jar --dir .graft/s3 --port 9000 --buckets a,b --access-key K --secret-key S}:
 * a real S3 API (s3proxy over the file system, objects as files under DIR/BUCKET) on 127.0.0.1 until
 * the process is stopped. Prints one line "READY http://127.0.0.1:PORT" once it accepts connections.
 */
public final class LocalS3Main {
    private LocalS3Main() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(".graft/s3");
        int port = 9000;
        List<String> buckets = List.of();
        String accessKey = "graft";
        String secretKey = "graft-local-secret";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[i + 1]);
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--buckets" -> buckets = Arrays.stream(args[i + 1].split(",")).filter(b -> !b.isBlank()).toList();
                case "--access-key" -> accessKey = args[i + 1];
                case "--secret-key" -> secretKey = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (use --dir DIR --port N --buckets a,b --access-key K --secret-key S)");
            }
        }
        dir = dir.toAbsolutePath();
        // the file-system store keeps a bucket as a folder: creating it is creating the bucket
        for (String bucket : buckets) {
            Files.createDirectories(dir.resolve(bucket));
        }
        Properties settings = new Properties();
        settings.setProperty("s3proxy.endpoint", "http://127.0.0.1:" + port);
        settings.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        settings.setProperty("s3proxy.identity", accessKey);
        settings.setProperty("s3proxy.credential", secretKey);
        settings.setProperty("jclouds.provider", "filesystem-nio2");
        settings.setProperty("jclouds.filesystem.basedir", dir.toString());
        Path file = dir.resolve(".s3proxy.properties");
        try (Writer out = Files.newBufferedWriter(file)) {
            settings.store(out, "written by s3-local at each start");
        }
        org.gaul.s3proxy.Main.main(new String[] {"--properties", file.toString()});
        awaitListening(port);
        System.out.println("READY http://127.0.0.1:" + port + " dir=" + dir);
    }

    private static void awaitListening(int port) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    System.err.println("s3-local: nothing listens on port " + port + " after 30 s: " + e);
                    System.exit(1);
                }
                Thread.sleep(50);
            }
        }
    }
}
