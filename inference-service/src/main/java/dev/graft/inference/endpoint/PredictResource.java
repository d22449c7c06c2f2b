package dev.graft.inference.endpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.inference.predict.BadRequestException;
import dev.graft.inference.predict.Prediction;
import dev.graft.inference.predict.PredictionService;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * {@code POST /api/models/{model}/predict}: one image as raw bytes, several as multipart/form-data
 * (field {@code image}, one part per file) or JSON with base64 images. Answers carry the version that
 * served them in the body and in the {@value #VERSION_HEADER} header, which a request may also set.
 */
@Path("/api/models/{model}/predict")
@PredictionKey
@Tag(name = "predict", description = "Classification and regression predictions")
public class PredictResource {
    public static final String VERSION_HEADER = "X-Graft-Model-Version";
    /** The prediction's id, for feedback on it; a batch's ids in order, comma-separated. */
    public static final String PREDICTION_ID_HEADER = "X-Graft-Prediction-Id";
    private static final String SINGLE_EXAMPLE = """
            {"predictionId": "mfz0k1x2.3.q0lK2mZ3x9aB.Hk2l0sd9Sk1lq0a2bXc9Qw",
             "model": "fashion-classifier", "version": 3, "task": "classification", "label": "Sneaker",
             "probabilities": {"Sneaker": 0.91, "Sandal": 0.06, "Ankle boot": 0.03},
             "top": [{"label": "Sneaker", "probability": 0.91}, {"label": "Sandal", "probability": 0.06}]}""";
    private static final String BATCH_EXAMPLE = """
            {"model": "fashion-price", "version": 2, "predictions": [
             {"model": "fashion-price", "version": 2, "task": "regression", "value": 74.5},
             {"model": "fashion-price", "version": 2, "task": "regression", "value": 19.9}]}""";

    private final PredictionService service;

    public PredictResource(PredictionService service) {
        this.service = service;
    }

    /** Several predictions from one request, in the order the images were sent. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BatchPrediction(String model, int version, List<Prediction> predictions) {
    }

    /** @param image one base64 image; {@code images} several (a batch answer) */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record JsonImages(String image, List<String> images, Integer topK) {
    }

    @POST
    @Blocking
    @Consumes({"image/*", MediaType.APPLICATION_OCTET_STREAM})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Predict one image sent as its raw bytes")
    @RequestBody(content = @Content(mediaType = "image/png", schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(responseCode = "200", description = "The prediction and the version that made it",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Prediction.class),
                    examples = @ExampleObject(name = "classification", value = SINGLE_EXAMPLE)))
    @APIResponse(responseCode = "400", description = "Empty body, not an image, or a broken one")
    @APIResponse(responseCode = "404", description = "No such model or version")
    @APIResponse(responseCode = "413", description = "Body or image dimensions over the limits")
    @APIResponse(responseCode = "415", description = "An image format that is not accepted")
    public Response raw(@PathParam("model") String model, @Parameter(description = "serve with this loaded or stored version")
                        @HeaderParam(VERSION_HEADER) String version,
                        @Parameter(description = "how many labels the top list has (default 5)") @QueryParam("topK") Integer topK,
                        byte[] body) {
        return single(service.predictImages(model, parseVersion(version), List.of(body), topK));
    }

    @POST
    @Blocking
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Predict a batch of images sent as multipart/form-data, one part named image per file")
    @APIResponse(responseCode = "200", description = "One prediction per file, in order",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BatchPrediction.class),
                    examples = @ExampleObject(name = "regression batch", value = BATCH_EXAMPLE)))
    public Response multipart(@PathParam("model") String model, @HeaderParam(VERSION_HEADER) String version,
                              @QueryParam("topK") Integer topK, @RestForm("image") List<FileUpload> images) {
        List<byte[]> bytes = new ArrayList<>();
        for (FileUpload upload : images == null ? List.<FileUpload>of() : images) {
            try {
                bytes.add(Files.readAllBytes(upload.uploadedFile()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (bytes.isEmpty()) {
            throw new BadRequestException("no file in the form: send each image as a part named 'image'");
        }
        return batch(service.predictImages(model, parseVersion(version), bytes, topK));
    }

    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Predict base64 images sent as JSON: {\"image\": ...} for one, {\"images\": [...]} for a batch")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JsonImages.class),
            examples = @ExampleObject(name = "batch", value = "{\"images\": [\"iVBORw0KGgo...\", \"/9j/4AAQSk...\"], \"topK\": 3}")))
    public Response json(@PathParam("model") String model, @HeaderParam(VERSION_HEADER) String version, JsonImages request) {
        if (request == null || (request.image() == null) == (request.images() == null)) {
            throw new BadRequestException("send exactly one of \"image\" (one base64 image) and \"images\" (a list)");
        }
        Integer requested = parseVersion(version);
        if (request.image() != null) {
            return single(service.predictImages(model, requested, List.of(base64(request.image(), 0)), request.topK()));
        }
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < request.images().size(); i++) {
            images.add(base64(request.images().get(i), i + 1));
        }
        return batch(service.predictImages(model, requested, images, request.topK()));
    }

    private static Response single(PredictionService.Served served) {
        return Response.ok(served.predictions().get(0)).header(VERSION_HEADER, served.version())
                .header(PREDICTION_ID_HEADER, String.join(",", served.predictionIds())).build();
    }

    private static Response batch(PredictionService.Served served) {
        return Response.ok(new BatchPrediction(served.model(), served.version(), served.predictions()))
                .header(VERSION_HEADER, served.version())
                .header(PREDICTION_ID_HEADER, String.join(",", served.predictionIds())).build();
    }

    static Integer parseVersion(String version) {
        if (version == null || version.isBlank()) {
            return null;
        }
        try {
            int v = Integer.parseInt(version.trim());
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadRequestException(VERSION_HEADER + " must be a version number >= 1, not '" + version + "'");
    }

    /** Standard base64, line breaks and a {@code data:image/...;base64,} prefix allowed. */
    static byte[] base64(String image, int position) {
        String data = image.startsWith("data:") && image.contains(",") ? image.substring(image.indexOf(',') + 1) : image;
        try {
            return Base64.getDecoder().decode(data.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new BadRequestException((position > 0 ? "image " + position : "image") + " is not base64: " + e.getMessage());
        }
    }
}
