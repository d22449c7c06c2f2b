package dev.graft.loop.join;

import dev.graft.contract.events.Topics;
import dev.graft.loop.config.LoopConfig;
import dev.graft.loop.live.LiveMetrics;
import dev.graft.loop.retrain.RetrainCounts;
import dev.graft.loop.retrain.RetrainSettings;
import dev.graft.loop.retrain.RetrainTrigger;
import dev.graft.loop.shadow.ShadowComparer;
import dev.graft.loop.shadow.ShadowMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

import java.util.List;

/**
 * The loop's topology: predictions and feedback, both keyed by prediction id (so their topics must have
 * the same number of partitions, which {@link LoopStreams} checks), into {@link FeedbackJoin} and its three
 * stores with their time indexes; out come labelled examples and dead letters. The examples, keyed again
 * by model through a topic of the loop's own ({@link #examplesByModel}), go on to {@link RetrainTrigger},
 * which sends training requests. Versions in shadow's answers, scored beside the examples they share,
 * go the same way (keyed by model) to {@link ShadowComparer}, which publishes how they compare.
 */
@ApplicationScoped
public class JoinTopology {
    private static final String PREDICTIONS_SOURCE = "predictions-source";
    private static final String FEEDBACK_SOURCE = "feedback-source";
    private static final String JOIN = "join";
    private static final String BY_MODEL_SOURCE = "examples-by-model-source";
    private static final String RETRAIN = "retrain";
    private static final String SHADOW_SOURCE = "shadow-by-model-source";
    private static final String SHADOW = "shadow";

    @Produces
    Topology topology(LoopConfig config, JoinCounts counts, LiveMetrics live, ShadowMetrics shadow, RetrainCounts retrainCounts) {
        return build(config.loop().applicationId(), JoinSettings.of(config), counts, live, shadow, RetrainSettings.of(config),
                retrainCounts);
    }

    /** The examples keyed by model, between the join and the retraining trigger: the loop creates it. */
    public static String examplesByModel(String applicationId) {
        return applicationId + "-examples-by-model";
    }

    /** The shadow answers scored beside their examples keyed by model, between the join and the comparer: the loop creates it. */
    public static String shadowByModel(String applicationId) {
        return applicationId + "-shadow-by-model";
    }

    /** The topics of the loop's own, keyed by model: created with as many partitions as the sources. */
    public static List<String> internalTopics(String applicationId) {
        return List.of(examplesByModel(applicationId), shadowByModel(applicationId));
    }

    public static Topology build(String applicationId, JoinSettings settings, JoinCounts counts, LiveMetrics live,
                                 ShadowMetrics shadow, RetrainSettings retrain, RetrainCounts retrainCounts) {
        Topology topology = new Topology();
        topology.addSource(PREDICTIONS_SOURCE, new StringDeserializer(), new StringDeserializer(), Topics.PREDICTIONS);
        topology.addSource(FEEDBACK_SOURCE, new StringDeserializer(), new StringDeserializer(), Topics.FEEDBACK);
        topology.addProcessor(JOIN, () -> new FeedbackJoin(settings, counts, live), PREDICTIONS_SOURCE, FEEDBACK_SOURCE);
        for (String store : new String[]{FeedbackJoin.PREDICTIONS, FeedbackJoin.WAITING, FeedbackJoin.EXAMPLES, FeedbackJoin.SHADOWS}) {
            for (String name : new String[]{store, store + FeedbackJoin.BY_TIME}) {
                topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(),
                        Serdes.String()), JOIN);
            }
        }
        topology.addSink(FeedbackJoin.EXAMPLES_SINK, Topics.EXAMPLES, new StringSerializer(), new StringSerializer(), JOIN);
        topology.addSink(FeedbackJoin.DLQ_SINK, Topics.FEEDBACK_DLQ, new StringSerializer(), new StringSerializer(), JOIN);
        String byModel = examplesByModel(applicationId);
        topology.addSink(FeedbackJoin.BY_MODEL_SINK, byModel, new StringSerializer(), new StringSerializer(), JOIN);

        topology.addSource(BY_MODEL_SOURCE, new StringDeserializer(), new StringDeserializer(), byModel);
        topology.addProcessor(RETRAIN, () -> new RetrainTrigger(retrain, retrainCounts, settings.sweepInterval()), BY_MODEL_SOURCE);
        for (String name : new String[]{RetrainTrigger.EXAMPLES, RetrainTrigger.EXAMPLES_BY_TIME, RetrainTrigger.STATE}) {
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(),
                    Serdes.String()), RETRAIN);
        }
        topology.addSink(RetrainTrigger.REQUESTS_SINK, Topics.TRAINING_REQUESTS, new StringSerializer(), new StringSerializer(), RETRAIN);

        String shadowByModel = shadowByModel(applicationId);
        topology.addSink(FeedbackJoin.SHADOW_SINK, shadowByModel, new StringSerializer(), new StringSerializer(), JOIN);
        topology.addSource(SHADOW_SOURCE, new StringDeserializer(), new StringDeserializer(), shadowByModel);
        topology.addProcessor(SHADOW, () -> new ShadowComparer(settings.liveWindow(), settings.sweepInterval(), shadow),
                SHADOW_SOURCE);
        for (String name : new String[]{ShadowComparer.EXAMPLES, ShadowComparer.EXAMPLES_BY_TIME, ShadowComparer.PUBLISHED}) {
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(),
                    Serdes.String()), SHADOW);
        }
        topology.addSink(ShadowComparer.COMPARISONS_SINK, Topics.SHADOW_COMPARISONS, new StringSerializer(),
                new StringSerializer(), SHADOW);
        return topology;
    }
}
