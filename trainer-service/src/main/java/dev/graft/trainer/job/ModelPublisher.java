package dev.graft.trainer.job;

import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.store.ModelStore;
import dev.graft.trainer.messaging.TrainingEventPublisher;
import dev.graft.trainer.training.Charts;
import dev.graft.trainer.training.TrainedModel;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TrainingReport;
import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.util.ModelSerializer;
import org.jboss.logging.Logger;

import java.nio.file.Files;

/**
 * The publish step: a trained model stored as the next version of its model, with its charts and
 * report beside the network (all or nothing), then announced on the model-versions topic.
 */
@ApplicationScoped
class ModelPublisher {
    private static final Logger LOG = Logger.getLogger(ModelPublisher.class);

    private final ModelStore store;
    private final TrainingEventPublisher events;
    private final TrainingTrace trace;

    ModelPublisher(ModelStore store, TrainingEventPublisher events, TrainingTrace trace) {
        this.store = store;
        this.events = events;
        this.trace = trace;
    }

    /** A stored version: its manifest, and its report naming the charts written with it. */
    record Published(ModelManifest manifest, TrainingReport report) {
    }

    Published publish(TrainingPlan plan, TrainedModel trained) {
        TrainingReport[] report = {trained.report()};
        ModelManifest draft = ModelManifest.draft(plan.model(), plan.task(), trained.labels(), trained.targetNormalization(),
                trained.inputShape(), trained.preprocessing(), trained.metrics(), trained.lineage(), plan.requestId())
                .withPromotion(plan.promotion());
        ModelManifest manifest = trace.inSpan("store " + plan.model(), () -> store.publish(draft, artifact -> {
            ModelSerializer.writeModel(trained.graph(), artifact.toFile(), false);
            report[0] = report[0].withCharts(Charts.write(report[0], trained.predictedVsActual(), artifact.getParent()));
            Files.writeString(artifact.resolveSibling(TrainingReport.FILE), Json.write(report[0]));
        }));
        // stored: from here on the request has succeeded, whatever happens to the announcement
        announce(manifest);
        return new Published(manifest, report[0]);
    }

    /** A success answered again is announced again, so a sender that waits for its version (bin/graft train) hears it. */
    void announceAgain(TrainingEvent earlier) {
        try {
            announce(store.manifest(earlier.model(), earlier.version()));
        } catch (RuntimeException e) {
            LOG.warnf("version %d of %s, made by request %s, is no longer in the store: %s", earlier.version(),
                    earlier.model(), earlier.requestId(), e.getMessage());
        }
    }

    /**
     * A failure is logged, not thrown: the version exists, and sending the request again announces it
     * again (the inference service also finds it when it starts).
     */
    private void announce(ModelManifest manifest) {
        try {
            events.version(ModelVersionEvent.of(manifest));
        } catch (RuntimeException e) {
            LOG.errorf(e, "version %d of %s is stored but could not be announced; send request %s again to announce it",
                    manifest.version(), manifest.model(), manifest.requestId());
        }
    }
}
