package dev.graft.inference.predict;

import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.versions.LoadedModel;
import dev.graft.inference.versions.ModelManager;
import dev.graft.inference.versions.VersionUnavailableException;
import dev.graft.imaging.ImagePreprocessor;
import dev.graft.imaging.InvalidImageException;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import jakarta.enterprise.context.ApplicationScoped;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.graft.inference.loop.ImageCapture;
import dev.graft.inference.loop.PredictionIds;
import dev.graft.inference.loop.PredictionLog;

import java.awt.image.BufferedImage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * The walk of an image: the version (serving, or the one asked for) -> limits and decoding against
 * its input shape -> the version's batch scheduler -> predictions. Shared by the Graft API and the
 * Open Inference Protocol endpoints, whose answers are counted as they are sent.
 */
@ApplicationScoped
public class PredictionService {
    /** Generous: a batch waits at most max-wait plus the passes queued before it. */
    private static final long RESULT_TIMEOUT_SECONDS = 60;
    /** Labels in a classification's top list unless the request says otherwise (fewer if the model has fewer). */
    private static final int DEFAULT_TOP_K = 5;

    private final ModelManager manager;
    private final ServingSettings settings;
    private final PredictionIds ids;
    private final PredictionLog log;
    private final ImageCapture capture;
    private final ShadowMirror shadow;

    public PredictionService(ModelManager manager, ServingSettings settings, PredictionIds ids, PredictionLog log,
                             ImageCapture capture, ShadowMirror shadow) {
        this.manager = manager;
        this.settings = settings;
        this.ids = ids;
        this.log = log;
        this.capture = capture;
        this.shadow = shadow;
    }

    /** What a request got: the version that served it and one prediction per image, in order. */
    public record Served(ModelManifest manifest, List<Prediction> predictions) {
        public String model() {
            return manifest.model();
        }

        public int version() {
            return manifest.version();
        }

        public List<String> predictionIds() {
            return predictions.stream().map(Prediction::predictionId).toList();
        }
    }

    /** Encoded images (PNG, JPEG, ...), checked against the limits before their pixels are decoded. */
    public Served predictImages(String model, Integer version, List<byte[]> images, Integer topK) {
        return serve(model, version, images.size(), topK, images::get, true, manifest -> decode(images, manifest, settings));
    }

    /** Encoded images as one batch for a version's input shape; a bad image is named by its place in the request. */
    static INDArray decode(List<byte[]> images, ModelManifest manifest, ServingSettings settings) {
        List<BufferedImage> decoded = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            try {
                decoded.add(ImagePreprocessor.decode(images.get(i), settings.imageLimits()));
            } catch (InvalidImageException e) {
                throw images.size() == 1 ? e : new InvalidImageException(e.kind(), "image " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return ImagePreprocessor.toBatch(decoded, manifest.inputShape(), manifest.preprocessingMode());
    }

    /** Already preprocessed input, [n, 3, height, width] as the manifest's input shape and preprocessing say. */
    public Served predictTensor(String model, Integer version, INDArray input, Integer topK) {
        return serve(model, version, (int) input.size(0), topK, row -> input.slice(row).dup().data().asBytes(), false,
                manifest -> {
            InputShape shape = manifest.inputShape();
            long[] expected = {input.size(0), shape.channels(), shape.height(), shape.width()};
            if (!Arrays.equals(input.shape(), expected)) {
                throw new BadRequestException("input shape " + Arrays.toString(input.shape())
                        + " does not fit " + model + ": expected [n, " + shape.channels() + ", " + shape.height() + ", "
                        + shape.width() + "]");
            }
            return input;
        });
    }

    /**
     * Each prediction with its id, which says whether the log samples it; those it samples are offered to
     * it, and their images (not a tensor's floats) to the capture and, when the serving version answered
     * ({@code mirrored}), to the version in shadow.
     */
    private List<Prediction> identified(List<Prediction> predictions, IntFunction<byte[]> payload, boolean encoded, long nanos,
                                        boolean mirrored) {
        Instant now = Instant.now();
        String traceId = LogRecords.currentTraceId();
        List<Prediction> identified = new ArrayList<>(predictions.size());
        List<String> mirroredIds = new ArrayList<>();
        List<byte[]> mirroredImages = new ArrayList<>();
        for (int i = 0; i < predictions.size(); i++) {
            Prediction prediction = predictions.get(i);
            boolean logged = log.sampled(prediction.model());
            Prediction withId = prediction.withId(ids.issue(prediction.model(), prediction.version(), now, logged));
            identified.add(withId);
            if (logged) {
                byte[] bytes = payload.apply(i);
                String sha256 = LogRecords.sha256(bytes);
                String captured = encoded ? capture.offer(prediction.model(), sha256, bytes).orElse(null) : null;
                log.offer(LogRecords.of(withId, nanos / 1e6, sha256, captured, now, traceId, null));
                if (encoded && mirrored) {
                    mirroredIds.add(withId.predictionId());
                    mirroredImages.add(bytes);
                }
            }
        }
        shadow.offer(predictions.get(0).model(), mirroredIds, mirroredImages, traceId);
        return identified;
    }

    private interface Preparation {
        INDArray prepare(ModelManifest manifest);
    }

    /**
     * Answers counted by the HTTP layer when they are sent; a failure after a version was chosen comes
     * out as a {@link ServedFailure} naming it. Each answered image gets a prediction id and, in the log's
     * share, a record in the prediction log (and its image to the capture); {@code payload} gives an
     * image's bytes, {@code encoded} says whether they are an encoded image (else a tensor's floats).
     */
    private Served serve(String model, Integer version, int images, Integer topK, IntFunction<byte[]> payload,
                         boolean encoded, Preparation preparation) {
        if (images < 1) {
            throw new BadRequestException("no image in the request");
        }
        if (images > settings.maxImagesPerRequest()) {
            throw new BadRequestException(images + " images in one request; at most "
                    + settings.maxImagesPerRequest() + " (graft.serving.limits.max-images-per-request)");
        }
        if (topK != null && topK < 1) {
            throw new BadRequestException("topK must be at least 1");
        }
        LoadedModel loaded = version == null ? manager.acquire(model).orElseThrow(() -> new VersionUnavailableException(
                VersionUnavailableException.Reason.UNKNOWN,
                "no model '" + model + "' is serving; GET /api/models lists those that are"))
                : manager.acquire(model, version);
        long start = System.nanoTime();
        try {
            INDArray output = loaded.submit(() -> preparation.prepare(loaded.manifest()))
                    .get(RESULT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<Prediction> predictions = Predictor.predictions(loaded.manifest(), output, topK != null ? topK : DEFAULT_TOP_K);
            return new Served(loaded.manifest(), identified(predictions, payload, encoded, System.nanoTime() - start,
                    version == null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServedFailure(loaded.version(), new IllegalStateException("interrupted while waiting for the prediction", e));
        } catch (ExecutionException | TimeoutException e) {
            throw new ServedFailure(loaded.version(), new IllegalStateException("prediction failed: "
                    + (e.getCause() != null ? e.getCause().getMessage() : e), e));
        } catch (RuntimeException e) {
            throw new ServedFailure(loaded.version(), e);
        } finally {
            loaded.release();
        }
    }
}
