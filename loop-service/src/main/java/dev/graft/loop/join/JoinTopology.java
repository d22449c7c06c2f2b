package dev.graft.loop.join;

import dev.graft.contract.events.Topics;
import dev.graft.loop.config.LoopConfig;
import dev.graft.loop.live.LiveMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The loop's one topology: predictions and feedback, both keyed by prediction id (so their topics must
 * have the same number of partitions, which {@link LoopStreams} checks), into {@link FeedbackJoin} and its
 * three stores with their time indexes; out come labelled examples and dead letters.
 */
@ApplicationScoped
public class JoinTopology {
    private static final String PREDICTIONS_SOURCE = "predictions-source";
    private static final String FEEDBACK_SOURCE = "feedback-source";
    private static final String JOIN = "join";

    @Produces
    Topology topology(LoopConfig config, JoinCounts counts, LiveMetrics live) {
        return build(JoinSettings.of(config), counts, live);
    }

    public static Topology build(JoinSettings settings, JoinCounts counts, LiveMetrics live) {
        Topology topology = new Topology();
        topology.addSource(PREDICTIONS_SOURCE, new StringDeserializer(), new StringDeserializer(), Topics.PREDICTIONS);
        topology.addSource(FEEDBACK_SOURCE, new StringDeserializer(), new StringDeserializer(), Topics.FEEDBACK);
        topology.addProcessor(JOIN, () -> new FeedbackJoin(settings, counts, live), PREDICTIONS_SOURCE, FEEDBACK_SOURCE);
        for (String store : new String[]{FeedbackJoin.PREDICTIONS, FeedbackJoin.WAITING, FeedbackJoin.EXAMPLES}) {
            for (String name : new String[]{store, store + FeedbackJoin.BY_TIME}) {
                topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(),
                        Serdes.String()), JOIN);
            }
        }
        topology.addSink(FeedbackJoin.EXAMPLES_SINK, Topics.EXAMPLES, new StringSerializer(), new StringSerializer(), JOIN);
        topology.addSink(FeedbackJoin.DLQ_SINK, Topics.FEEDBACK_DLQ, new StringSerializer(), new StringSerializer(), JOIN);
        return topology;
    }
}
