package dev.graft.trainer.pool;

import dev.graft.store.Blobs;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Real blobs, every call counted: what a lookup costs in requests to the storage behind them. */
final class CountingBlobs implements Blobs {
    private final Blobs real;
    private final AtomicInteger calls = new AtomicInteger();

    CountingBlobs(Blobs real) {
        this.real = real;
    }

    int calls() {
        return calls.get();
    }

    @Override
    public String location() {
        return real.location();
    }

    @Override
    public boolean isLocal() {
        return real.isLocal();
    }

    @Override
    public Optional<Path> localFile(String key) {
        return real.localFile(key);
    }

    @Override
    public void upload(Path file, String key) {
        calls.incrementAndGet();
        real.upload(file, key);
    }

    @Override
    public void write(String key, byte[] bytes) {
        calls.incrementAndGet();
        real.write(key, bytes);
    }

    @Override
    public boolean create(String key, byte[] bytes) {
        calls.incrementAndGet();
        return real.create(key, bytes);
    }

    @Override
    public Optional<byte[]> read(String key) {
        calls.incrementAndGet();
        return real.read(key);
    }

    @Override
    public void download(String key, Path target) {
        calls.incrementAndGet();
        real.download(key, target);
    }

    @Override
    public List<Entry> entries(String prefix) {
        calls.incrementAndGet();
        return real.entries(prefix);
    }

    @Override
    public List<String> children(String prefix) {
        calls.incrementAndGet();
        return real.children(prefix);
    }

    @Override
    public Optional<Instant> modified(String key) {
        calls.incrementAndGet();
        return real.modified(key);
    }

    @Override
    public void delete(String key) {
        calls.incrementAndGet();
        real.delete(key);
    }

    @Override
    public void check() {
        calls.incrementAndGet();
        real.check();
    }
}
