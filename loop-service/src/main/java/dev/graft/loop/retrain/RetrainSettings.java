package dev.graft.loop.retrain;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.json.Json;
import dev.graft.loop.config.LoopConfig;
import dev.graft.store.Blobs;
import dev.graft.store.StorageUri;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The retraining policies and where feedback datasets go, as plain values, so that the topology can be
 * built and run outside the service.
 *
 * @param captured   the captured images, where each retraining's CSV is written beside its model's images
 * @param capturedAs how a training request names that location (relative to the trainer's data root, or s3://)
 * @param liveWindow the live figures' window, over which accuracy and MAE triggers look
 * @param keep       how long an example stays in its model's feedback dataset
 */
public record RetrainSettings(Map<String, RetrainPolicy> policies, Blobs captured, String capturedAs, Duration liveWindow,
                              Duration keep) {

    public static RetrainSettings of(LoopConfig config) {
        LoopConfig.Retrain retrain = config.retrain();
        Map<String, RetrainPolicy> policies = new TreeMap<>();
        retrain.models().forEach((model, policy) -> policies.put(model, policy(model, policy)));
        Blobs captured = StorageUri.parse(retrain.captured()).open(config.s3().settings());
        return new RetrainSettings(policies, captured, retrain.capturedAs(), config.live().window(), retrain.keep());
    }

    private static RetrainPolicy policy(String model, LoopConfig.Retrain.Policy policy) {
        if (!policy.from().equals("request") && !policy.from().equals("serving")) {
            throw new IllegalArgumentException("graft.retrain.models." + model + ".from is request or serving, not " + policy.from());
        }
        TrainingRequest template;
        try {
            template = Json.read(Files.readString(policy.request()), TrainingRequest.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + model + "'s retraining request " + policy.request(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(model + "'s retraining request " + policy.request() + " is not a training request: "
                    + e.getMessage(), e);
        }
        return new RetrainPolicy(model, template, policy.afterExamples().orElse(null), policy.belowAccuracy().orElse(null),
                policy.aboveMae().orElse(null), policy.minExamples(), policy.from().equals("serving"));
    }
}
