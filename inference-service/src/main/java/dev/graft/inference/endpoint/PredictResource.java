package dev.graft.inference.endpoint;

import dev.graft.inference.predict.InferenceMetrics;
import dev.graft.inference.predict.Prediction;
import dev.graft.inference.predict.Predictor;
import dev.graft.inference.versions.LoadedModel;
import dev.graft.inference.versions.ModelManager;
import dev.graft.shared.image.ImagePreprocessor;
import dev.graft.shared.image.InvalidImageException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.awt.image.BufferedImage;
import java.util.Optional;

/** {@code POST /api/models/{model}/predict} with the raw image bytes. */
@Path("/api/models/{model}/predict")
public class PredictResource {
    public static final String VERSION_HEADER = "X-Graft-Model-Version";
    private static final Logger LOG = Logger.getLogger(PredictResource.class);

    private final ModelManager manager;
    private final Predictor predictor;
    private final InferenceMetrics metrics;

    public PredictResource(ModelManager manager, Predictor predictor, InferenceMetrics metrics) {
        this.manager = manager;
        this.predictor = predictor;
        this.metrics = metrics;
    }

    @POST
    @Blocking
    @Consumes({"image/png", "image/jpeg", MediaType.APPLICATION_OCTET_STREAM})
    @Produces(MediaType.APPLICATION_JSON)
    public Response predict(@PathParam("model") String model, byte[] body) {
        long start = System.nanoTime();
        Optional<LoadedModel> serving = manager.acquire(model);
        if (serving.isEmpty()) {
            metrics.prediction(model, "none", "unknown_model", System.nanoTime() - start);
            return ApiError.response(Response.Status.NOT_FOUND, "no model '" + model + "' is serving; GET /api/models lists those that are");
        }
        LoadedModel loaded = serving.get();
        String version = Integer.toString(loaded.version());
        try {
            BufferedImage image = ImagePreprocessor.decode(body);
            Prediction prediction = predictor.predict(loaded, image);
            metrics.prediction(model, version, "ok", System.nanoTime() - start);
            return Response.ok(prediction).header(VERSION_HEADER, version).build();
        } catch (InvalidImageException e) {
            metrics.prediction(model, version, "bad_request", System.nanoTime() - start);
            return ApiError.response(Response.Status.BAD_REQUEST, e.getMessage());
        } catch (RuntimeException e) {
            metrics.prediction(model, version, "error", System.nanoTime() - start);
            LOG.errorf(e, "prediction with %s version %s failed", model, version);
            return ApiError.response(Response.Status.INTERNAL_SERVER_ERROR, "prediction failed: " + e.getMessage());
        } finally {
            loaded.release();
        }
    }
}
