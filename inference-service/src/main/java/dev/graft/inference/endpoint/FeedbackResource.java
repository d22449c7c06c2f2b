package dev.graft.inference.endpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.contract.events.FeedbackRecord;
import dev.graft.inference.loop.Feedback;
import dev.graft.inference.predict.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import io.smallrye.common.annotation.Blocking;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Instant;

/**
 * {@code POST /api/models/{model}/feedback}: what a prediction should have been, by the id its answer
 * carried. Published on graft.feedback, where the last answer for an id counts (docs/loop.md).
 */
@Path("/api/models/{model}/feedback")
@PredictionKey
@Tag(name = "feedback", description = "The true label or value of an earlier prediction")
public class FeedbackResource {
    /** Far more than any feedback body: the id, a label, a value. */
    static final long MAX_BODY_BYTES = 16 * 1024;

    private final Feedback feedback;

    public FeedbackResource(Feedback feedback) {
        this.feedback = feedback;
    }

    /** @param label the true label, for a classifier; {@code value} the true value, for a regressor */
    public record FeedbackBody(String predictionId, String label, Double value) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Accepted(String predictionId, String model, int version, String label, Double value, Instant time) {
        static Accepted of(FeedbackRecord record) {
            return new Accepted(record.predictionId(), record.model(), record.version(), record.label(), record.value(),
                    record.time());
        }
    }

    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Give the true label (classifier) or value (regressor) of a prediction, by its id")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, examples = {
            @ExampleObject(name = "classifier", value = "{\"predictionId\": \"mfz0k1x2.3.q0lK2mZ3x9aB.Hk2l0sd9Sk1lq0a2bXc9Qw\", \"label\": \"Sneaker\"}"),
            @ExampleObject(name = "regressor", value = "{\"predictionId\": \"mfz0k1x2.2.Zx81kQm0aB3d.9sKdl2Lq0aZk3mXc7wEr1g\", \"value\": 74.5}")}))
    @APIResponse(responseCode = "202", description = "Recorded on graft.feedback; a later answer for the same id replaces it")
    @APIResponse(responseCode = "400", description = "No such model here, a label the version does not have, a value for a classifier, ...")
    @APIResponse(responseCode = "404", description = "No prediction of this model has that id")
    @APIResponse(responseCode = "409", description = "The prediction log did not sample the prediction: nothing to join it with")
    @APIResponse(responseCode = "410", description = "The prediction is older than the feedback window")
    @APIResponse(responseCode = "411", description = "No Content-Length: feedback must say its length")
    @APIResponse(responseCode = "413", description = "A body over 16 KiB")
    @APIResponse(responseCode = "503", description = "Kafka or the model store did not answer; sending it again is safe")
    public Response give(@PathParam("model") String model, FeedbackBody body) {
        if (body == null) {
            throw new BadRequestException("send {\"predictionId\": ..., \"label\": ...} or {\"predictionId\": ..., \"value\": ...}");
        }
        return Response.accepted(Accepted.of(feedback.accept(model, body.predictionId(), body.label(), body.value()))).build();
    }
}
