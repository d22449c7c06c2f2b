package dev.graft.store;

import java.nio.file.Path;

/**
 * A storage location as users write it: a folder path, or {@code s3://BUCKET/PREFIX}. An S3 prefix is
 * parsed into plain segments only, so that the folder it maps to on a local disk (a dataset mirror,
 * the state cache) cannot name anything outside it: {@code ..} and {@code .} segments, empty ones
 * ({@code //}, a leading {@code /}), backslashes and control characters are refused, with the rule.
 */
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
            throw new IllegalArgumentException("'" + printable(bucket) + "' in " + printable(uri) + " is not an S3 bucket name");
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        requireSafePrefix(uri, prefix);
        return new StorageUri(bucket, prefix, null);
    }

    /** A prefix ("" or "a/b/") whose every segment is a plain name. */
    private static void requireSafePrefix(String uri, String prefix) {
        if (prefix.isEmpty()) {
            return;
        }
        for (String segment : prefix.substring(0, prefix.length() - 1).split("/", -1)) {
            String problem = segmentProblem(segment);
            if (problem != null) {
                throw new IllegalArgumentException(printable(uri) + ": " + problem
                        + " (an S3 location is s3://BUCKET/NAME/NAME/..., each NAME a plain name)");
            }
        }
    }

    /** Why a key's segment cannot be a local file name, or null. */
    static String segmentProblem(String segment) {
        if (segment.isEmpty()) {
            return "an empty path segment (a leading '/' or '//')";
        }
        if (segment.equals(".") || segment.equals("..")) {
            return "a '" + segment + "' path segment";
        }
        if (segment.indexOf('\\') >= 0) {
            return "a backslash";
        }
        if (segment.chars().anyMatch(Character::isISOControl)) {
            return "a control character";
        }
        return null;
    }

    /** A key under a prefix that maps to a file below the prefix's folder: plain segments only. */
    public static boolean isPlainKey(String key) {
        if (key.isEmpty()) {
            return false;
        }
        for (String segment : key.split("/", -1)) {
            if (segmentProblem(segment) != null) {
                return false;
            }
        }
        return true;
    }

    /** The text with control characters escaped, for messages and logs. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> out.append(Character.isISOControl(c) ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return out.toString();
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
