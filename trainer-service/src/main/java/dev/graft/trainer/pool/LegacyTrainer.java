package dev.graft.trainer.pool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.store.Blobs;
import dev.graft.store.ModelStore;
import dev.graft.trainer.storage.TrainerState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * What the single trainer of Graft before the pool left behind, taken over once when a pool first
 * starts: its recorded outcomes ({@code STORE/.trainer/requests/HASH.json}, the same names as the
 * pool's), so a requestId it answered is still answered, not trained again; and where the share
 * group should begin, so the pool neither re-reads every request the old trainer finished nor skips
 * one it took on and did not finish (it acknowledged records on receipt): at the oldest such request
 * ({@code HASH.pending.json}), else where its consumer group {@value #GROUP} had read to.
 */
@ApplicationScoped
public class LegacyTrainer {
    /** The consumer group the single trainer read requests in. */
    public static final String GROUP = "graft-trainer";
    private static final Logger LOG = Logger.getLogger(LegacyTrainer.class);
    private static final long TIMEOUT_SECONDS = 10;

    private final Path journal;
    private final Blobs state;

    /** The single trainer only ever wrote to a folder store; with one on object storage there is nothing to adopt. */
    @Inject
    public LegacyTrainer(ModelStore store, TrainerState state) {
        this(store.folder().map(f -> f.resolve(".trainer").resolve("requests")).orElse(null), state.blobs());
    }

    public LegacyTrainer(Path journal, Blobs state) {
        this.journal = journal;
        this.state = state;
    }

    /** Copies the old trainer's outcomes into the pool's state; one already there is kept. Returns how many. */
    public int adoptOutcomes() {
        if (journal == null || !Files.isDirectory(journal)) {
            return 0;
        }
        int adopted = 0;
        try (Stream<Path> files = Files.list(journal)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("[0-9a-f]{64}\\.json")).toList()) {
                if (state.create("outcomes/" + file.getFileName(), Files.readAllBytes(file))) {
                    adopted++;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.errorf("cannot take over the single trainer's outcomes from %s: %s", journal, e.getMessage());
        }
        return adopted;
    }

    /**
     * Where the share group starts on each partition of the request topic, or an empty map when no
     * single trainer ever read it.
     */
    public Map<TopicPartition, Long> startOffsets(Admin admin) throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, Long> start = new HashMap<>();
        admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .forEach((partition, committed) -> {
                    if (partition.topic().equals(Topics.TRAINING_REQUESTS) && committed != null) {
                        start.put(partition, committed.offset());
                    }
                });
        for (Map.Entry<TopicPartition, Long> unfinished : unfinished().entrySet()) {
            start.merge(unfinished.getKey(), unfinished.getValue(), Math::min);
        }
        return start;
    }

    /** The oldest offset, per partition, of a request the old trainer took on and did not finish. */
    private Map<TopicPartition, Long> unfinished() {
        Map<TopicPartition, Long> oldest = new HashMap<>();
        if (journal == null || !Files.isDirectory(journal)) {
            return oldest;
        }
        try (Stream<Path> files = Files.list(journal)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".pending.json")).toList()) {
                JsonNode pending = Json.MAPPER.readTree(file.toFile());
                if (Topics.TRAINING_REQUESTS.equals(pending.path("topic").asText())) {
                    oldest.merge(new TopicPartition(Topics.TRAINING_REQUESTS, pending.path("partition").asInt()),
                            pending.path("offset").asLong(), Math::min);
                }
            }
        } catch (IOException e) {
            LOG.errorf("cannot read the single trainer's unfinished requests in %s: %s", journal, e.getMessage());
        }
        return oldest;
    }
}
