package dev.graft.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The storage primitives Graft builds on, with the same meaning on a folder and on an S3 bucket:
 * keys are '/'-separated paths under the location's root. Every failure is a
 * {@link ModelStoreException}; one that may pass (storage unreachable) is a
 * {@link StorageUnavailableException}.
 */
public interface Blobs {

    /** Where the blobs are, for messages: a folder path or {@code s3://bucket/prefix}. */
    String location();

    /** Whether the blobs are files in a local folder (else object storage, read through a cache). */
    boolean isLocal();

    /** The file behind a key when the blobs are local files, so they can be read in place. */
    Optional<Path> localFile(String key);

    void upload(Path file, String key);

    void write(String key, byte[] bytes);

    /** Writes the key only if it does not exist yet: false when it does (another writer won). */
    boolean create(String key, byte[] bytes);

    Optional<byte[]> read(String key);

    /** Copies the key into {@code target}; a {@link ModelStoreException} when it does not exist. */
    void download(String key, Path target);

    /** A key and its size in bytes. */
    record Entry(String key, long size) {
    }

    /** Every key under the prefix (which ends with '/' or is empty), with its size, sorted by key. */
    List<Entry> entries(String prefix);

    /** Every key under the prefix, sorted. */
    default List<String> list(String prefix) {
        return entries(prefix).stream().map(Entry::key).toList();
    }

    /** The names directly under the prefix: the next path segment of every key below it, sorted. */
    List<String> children(String prefix);

    Optional<Instant> modified(String key);

    void delete(String key);

    /** Fails with a message that says what is wrong when the location cannot be used: missing, unreadable, refused. */
    void check();
}
