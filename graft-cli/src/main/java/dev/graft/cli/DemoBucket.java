package dev.graft.cli;

import dev.graft.store.Blobs;
import dev.graft.store.S3Settings;
import dev.graft.store.StorageUri;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The demo on object storage ({@code bin/graft demo --object-store}): the exported dataset is
 * uploaded once to {@code s3://BUCKET/DATASET/}, as a team would keep it, and trained from there.
 */
public final class DemoBucket {
    private static final String COMPLETE = "upload-complete.txt";

    private final String bucket;
    private final Blobs blobs;

    DemoBucket(String bucket, S3Settings s3) {
        this.bucket = bucket;
        this.blobs = StorageUri.parse(StorageUri.SCHEME + bucket + "/").open(s3);
    }

    /** From {@code GRAFT_DEMO_BUCKET} and the {@code GRAFT_S3_*} variables the services read too. */
    static Optional<DemoBucket> fromEnvironment() {
        String bucket = System.getenv("GRAFT_DEMO_BUCKET");
        if (bucket == null || bucket.isBlank()) {
            return Optional.empty();
        }
        S3Settings s3 = S3Settings.from(name -> Optional.ofNullable(
                System.getenv(name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'))));
        return Optional.of(new DemoBucket(bucket, s3));
    }

    /** Uploads {@code dir} (once: a marker object says it is all there) and returns the dataset's URI, ending in '/'. */
    String upload(Path dir, String dataset, PrintStream out) throws IOException {
        String prefix = dataset + "/";
        String uri = StorageUri.SCHEME + bucket + "/" + prefix;
        if (blobs.read(prefix + COMPLETE).isPresent()) {
            out.println("Dataset ready in " + uri);
            return uri;
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).toList();
        }
        out.println("Uploading " + files.size() + " files to " + uri + " ...");
        for (Path file : files) {
            blobs.upload(file, prefix + dir.relativize(file).toString().replace('\\', '/'));
        }
        blobs.write(prefix + COMPLETE, (files.size() + " files\n").getBytes(StandardCharsets.UTF_8));
        return uri;
    }
}
