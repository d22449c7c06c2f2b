package dev.graft.shared.store;

import java.nio.file.Path;

/** A storage location as users write it: a folder path, or {@code s3://BUCKET/PREFIX}. */
public record StorageUri(String bucket, String prefix, Path folder) {
    public static final String SCHEME = "s3://";

    public static boolean isS3(String uri) {
        return uri != null && uri.startsWith(SCHEME);
    }

    public static StorageUri parse(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("empty storage location");
        }
        if (!isS3(uri)) {
            return new StorageUri(null, "", Path.of(uri));
        }
        String rest = uri.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("'" + bucket + "' in " + uri + " is not an S3 bucket name");
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        return new StorageUri(bucket, prefix, null);
    }

    public boolean s3() {
        return bucket != null;
    }

    /** Opens the location: files under the folder, or objects under the bucket's prefix. */
    public Blobs open(S3Settings s3) {
        return s3() ? new S3Blobs(S3Clients.create(s3), bucket, prefix) : new FolderBlobs(folder);
    }

    @Override
    public String toString() {
        return s3() ? SCHEME + bucket + "/" + prefix : folder.toString();
    }
}
