package dev.graft.store;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Blobs as objects under {@code s3://bucket/prefix}. {@link #create} is a conditional put
 * ({@code If-None-Match: *}): the server refuses it with 412 when the key exists, so of two writers
 * exactly one wins. Unreachable storage and 5xx answers are retried by the client with backoff
 * ({@link S3Settings#maxAttempts()}); what is left of them is a {@link StorageUnavailableException}.
 */
public final class S3Blobs implements Blobs {
    private final S3Client s3;
    private final String bucket;
    private final String prefix;

    public S3Blobs(S3Client s3, String bucket, String prefix) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
    }

    @Override
    public String location() {
        return StorageUri.SCHEME + bucket + "/" + prefix;
    }

    @Override
    public boolean isLocal() {
        return false;
    }

    @Override
    public Optional<Path> localFile(String key) {
        return Optional.empty();
    }

    @Override
    public void upload(Path file, String key) {
        call("upload " + key, () -> s3.putObject(b -> b.bucket(bucket).key(prefix + key), RequestBody.fromFile(file)));
    }

    @Override
    public void write(String key, byte[] bytes) {
        call("write " + key, () -> s3.putObject(b -> b.bucket(bucket).key(prefix + key), RequestBody.fromBytes(bytes)));
    }

    @Override
    public boolean create(String key, byte[] bytes) {
        try {
            call("create " + key, () -> s3.putObject(b -> b.bucket(bucket).key(prefix + key).ifNoneMatch("*"),
                    RequestBody.fromBytes(bytes)));
            return true;
        } catch (ModelStoreException e) {
            // 412: the key exists; 409: a concurrent create of the same key is under way and will win
            if (e.getCause() instanceof S3Exception s3e && (s3e.statusCode() == 412 || s3e.statusCode() == 409)) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public Optional<byte[]> read(String key) {
        try {
            return Optional.of(call("read " + key,
                    () -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(prefix + key)).asByteArray()));
        } catch (ModelStoreException e) {
            if (e.getCause() instanceof NoSuchKeyException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void download(String key, Path target) {
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            // the SDK writes into a file that must not exist yet
            Path part = target.resolveSibling(".download-" + UUID.randomUUID() + ".part");
            try {
                call("download " + key, () -> s3.getObject(b -> b.bucket(bucket).key(prefix + key),
                        ResponseTransformer.toFile(part)));
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(part);
            }
        } catch (IOException e) {
            throw new ModelStoreException("cannot download " + location() + key + " to " + target + ": " + e, e);
        }
    }

    @Override
    public List<Entry> entries(String under) {
        List<Entry> keys = new ArrayList<>();
        ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix + under).build();
        call("list " + under, () -> {
            for (S3Object object : s3.listObjectsV2Paginator(request).contents()) {
                keys.add(new Entry(object.key().substring(prefix.length()), object.size()));
            }
            return null;
        });
        return keys.stream().sorted(Comparator.comparing(Entry::key)).toList();
    }

    @Override
    public List<String> children(String under) {
        TreeSet<String> names = new TreeSet<>();
        ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix + under)
                .delimiter("/").build();
        int skip = prefix.length() + under.length();
        call("list " + under, () -> {
            s3.listObjectsV2Paginator(request).forEach(page -> {
                for (CommonPrefix common : page.commonPrefixes()) {
                    String name = common.prefix().substring(skip);
                    names.add(name.endsWith("/") ? name.substring(0, name.length() - 1) : name);
                }
                for (S3Object object : page.contents()) {
                    names.add(object.key().substring(skip));
                }
            });
            return null;
        });
        return List.copyOf(names);
    }

    @Override
    public Optional<Instant> modified(String key) {
        try {
            return Optional.of(call("stat " + key,
                    () -> s3.headObject(b -> b.bucket(bucket).key(prefix + key)).lastModified()));
        } catch (ModelStoreException e) {
            if (e.getCause() instanceof NoSuchKeyException
                    || e.getCause() instanceof S3Exception s3e && s3e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void delete(String key) {
        call("delete " + key, () -> s3.deleteObject(b -> b.bucket(bucket).key(prefix + key)));
    }

    @Override
    public void check() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
            s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(1));
        } catch (NoSuchBucketException e) {
            throw new ModelStoreException("the bucket '" + bucket + "' does not exist (" + location() + ")", e);
        } catch (S3Exception e) {
            String reason = switch (e.statusCode()) {
                case 301, 400 -> "refused the request (wrong region or endpoint?)";
                case 403 -> "refused these credentials (" + errorCode(e) + ")";
                case 404 -> "has no bucket '" + bucket + "'";
                default -> "answered " + e.statusCode() + " " + errorCode(e);
            };
            throw new ModelStoreException("S3 storage " + location() + " " + reason, e);
        } catch (SdkClientException e) {
            throw new StorageUnavailableException("S3 storage " + location() + " is unreachable: " + e.getMessage(), e);
        }
    }

    private static String errorCode(S3Exception e) {
        return e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null
                ? e.awsErrorDetails().errorCode() : "no error code";
    }

    private <T> T call(String what, Supplier<T> request) {
        try {
            return request.get();
        } catch (SdkClientException e) {
            throw new StorageUnavailableException("S3 storage " + location() + " is unreachable (" + what + "): "
                    + e.getMessage(), e);
        } catch (S3Exception e) {
            if (e.statusCode() >= 500) {
                throw new StorageUnavailableException("S3 storage " + location() + " failed to " + what + ": "
                        + e.statusCode() + " " + errorCode(e), e);
            }
            throw new ModelStoreException("S3 storage " + location() + " refused to " + what + ": "
                    + e.statusCode() + " " + errorCode(e), e);
        } catch (SdkException e) {
            throw new StorageUnavailableException("S3 storage " + location() + " failed to " + what + ": "
                    + e.getMessage(), e);
        }
    }
}
