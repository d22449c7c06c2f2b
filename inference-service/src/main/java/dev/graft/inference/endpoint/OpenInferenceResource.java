package dev.graft.inference.endpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.inference.health.ServingReadiness;
import dev.graft.inference.predict.Prediction;
import dev.graft.inference.predict.PredictionService;
import dev.graft.inference.versions.ModelManager;
import dev.graft.inference.versions.ModelStatus;
import dev.graft.inference.versions.VersionUnavailableException;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Task;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Open Inference Protocol (KServe V2) over REST, so KServe-style clients work unchanged. A model
 * takes either input {@code image} (BYTES: base64-encoded PNG/JPEG, shape [n]) or {@code input}
 * (FP32: preprocessed [n, 3, height, width], scaled as the manifest's preprocessing says). Classifiers answer {@code probabilities}
 * (FP32 [n, labels]) and {@code label} (BYTES [n]); regressors {@code value} (FP32 [n, 1], real units).
 */
@Path("/v2")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "open-inference-protocol", description = "KServe V2 health, metadata and inference")
public class OpenInferenceResource {
    public static final String BYTES_INPUT = "image";
    public static final String FP32_INPUT = "input";
    /** The response parameter that lists the prediction ids, one per input row. */
    public static final String PREDICTION_IDS = "graft_prediction_ids";
    private static final String INFER_EXAMPLE = """
            {"id": "42", "inputs": [{"name": "image", "shape": [1], "datatype": "BYTES", "data": ["iVBORw0KGgo..."]}]}""";

    private final PredictionService service;
    private final ModelManager manager;
    private final ServingReadiness readiness;

    public OpenInferenceResource(PredictionService service, ModelManager manager, @Readiness ServingReadiness readiness) {
        this.service = service;
        this.manager = manager;
        this.readiness = readiness;
    }

    public record ServerMetadata(String name, String version, List<String> extensions) {
    }

    public record Live(boolean live) {
    }

    public record Ready(String name, boolean ready) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TensorMetadata(String name, String datatype, List<Long> shape) {
    }

    public record ModelMetadata(String name, List<String> versions, String platform, List<TensorMetadata> inputs,
                                List<TensorMetadata> outputs) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Tensor(String name, String datatype, List<Long> shape, List<?> data) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InferResponse(@JsonProperty("model_name") String modelName,
                                @JsonProperty("model_version") String modelVersion, String id,
                                Map<String, Object> parameters, List<Tensor> outputs) {
    }

    @GET
    @Operation(summary = "Server metadata")
    public ServerMetadata server() {
        return new ServerMetadata("graft-inference", "0.1.0", List.of());
    }

    @GET
    @Path("/health/live")
    @Operation(summary = "Live: the server answers")
    public Live live() {
        return new Live(true);
    }

    @GET
    @Path("/health/ready")
    @Operation(summary = "Ready: start-up loads are done and every required model serves (200), else 400")
    public Response ready() {
        boolean ready = readiness.ready();
        return Response.status(ready ? 200 : 400).entity(new Ready("graft-inference", ready)).build();
    }

    @GET
    @Path("/models/{model}")
    @Operation(summary = "Model metadata: versions, input and output tensors")
    public ModelMetadata metadata(@PathParam("model") String model) {
        return metadata(status(model));
    }

    @GET
    @Path("/models/{model}/versions/{version}")
    @Operation(summary = "Model metadata (the serving version's tensors)")
    public ModelMetadata versionMetadata(@PathParam("model") String model, @PathParam("version") String version) {
        ModelStatus status = status(model);
        int v = PredictResource.parseVersion(version);
        if (!status.loadedVersions().contains(v)) {   // the serving version is always among them
            throw new VersionUnavailableException(VersionUnavailableException.Reason.UNKNOWN,
                    model + " version " + v + " is not loaded; loaded: " + status.loadedVersions());
        }
        return metadata(status);
    }

    @GET
    @Path("/models/{model}/ready")
    @Operation(summary = "Model ready: a warmed version serves (200), else 400")
    public Response modelReady(@PathParam("model") String model) {
        boolean ready = manager.status(model).map(s -> s.version() != null).orElse(false);
        return Response.status(ready ? 200 : 400).entity(new Ready(model, ready)).build();
    }

    @GET
    @Path("/models/{model}/versions/{version}/ready")
    @Operation(summary = "Model version ready: that version is loaded (200), else 400")
    public Response versionReady(@PathParam("model") String model, @PathParam("version") String version) {
        int v = PredictResource.parseVersion(version);
        boolean ready = manager.status(model).map(s -> s.loadedVersions().contains(v)).orElse(false);
        return Response.status(ready ? 200 : 400).entity(new Ready(model, ready)).build();
    }

    @POST
    @PredictionKey
    @Path("/models/{model}/infer")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Inference with the serving version")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "one PNG", value = INFER_EXAMPLE)))
    public Response infer(@PathParam("model") String model, JsonNode request) {
        return infer(model, null, request);
    }

    @POST
    @PredictionKey
    @Path("/models/{model}/versions/{version}/infer")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Inference with a named version (loaded on demand)")
    public Response inferVersion(@PathParam("model") String model, @PathParam("version") String version, JsonNode request) {
        return infer(model, PredictResource.parseVersion(version), request);
    }

    private ModelStatus status(String model) {
        return manager.status(model).filter(s -> s.version() != null).orElseThrow(() -> new VersionUnavailableException(
                VersionUnavailableException.Reason.UNKNOWN, "no model '" + model + "' is serving"));
    }

    private static ModelMetadata metadata(ModelStatus status) {
        InputShape shape = status.inputShape();
        List<TensorMetadata> outputs = status.task() == Task.CLASSIFICATION
                ? List.of(new TensorMetadata("probabilities", "FP32", List.of(-1L, (long) status.labels().size())),
                new TensorMetadata("label", "BYTES", List.of(-1L)))
                : List.of(new TensorMetadata("value", "FP32", List.of(-1L, 1L)));
        return new ModelMetadata(status.model(), status.loadedVersions().stream().map(String::valueOf).toList(),
                "graft-dl4j", List.of(new TensorMetadata(BYTES_INPUT, "BYTES", List.of(-1L)),
                new TensorMetadata(FP32_INPUT, "FP32", List.of(-1L, (long) shape.channels(), (long) shape.height(),
                        (long) shape.width()))), outputs);
    }

    private Response infer(String model, Integer version, JsonNode body) {
        InferRequest request = InferRequest.parse(body);
        PredictionService.Served served = request.isImages()
                ? service.predictImages(model, version, request.images(), null)
                : service.predictTensor(model, version, Nd4j.create(request.values(), request.shape(), DataType.FLOAT), null);
        List<Tensor> outputs = outputs(served).stream()
                .filter(t -> request.outputs().isEmpty() || request.outputs().contains(t.name())).toList();
        // the prediction ids, one per input row, for feedback on them: a response parameter the protocol allows
        return Response.ok(new InferResponse(model, Integer.toString(served.version()), request.id(),
                        Map.of(PREDICTION_IDS, served.predictionIds()), outputs))
                .header(PredictResource.VERSION_HEADER, served.version())
                .header(PredictResource.PREDICTION_ID_HEADER, String.join(",", served.predictionIds())).build();
    }

    private static List<Tensor> outputs(PredictionService.Served served) {
        long n = served.predictions().size();
        if (served.manifest().task() == Task.REGRESSION) {
            return List.of(new Tensor("value", "FP32", List.of(n, 1L),
                    served.predictions().stream().map(Prediction::value).toList()));
        }
        int labels = served.manifest().labels().size();
        List<Double> probabilities = new ArrayList<>();
        for (Prediction p : served.predictions()) {
            served.manifest().labels().forEach(label -> probabilities.add(p.probabilities().get(label)));
        }
        return List.of(new Tensor("probabilities", "FP32", List.of(n, (long) labels), probabilities),
                new Tensor("label", "BYTES", List.of(n), served.predictions().stream().map(Prediction::label).toList()));
    }
}
