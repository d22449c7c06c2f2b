package dev.graft.inference.endpoint;

import dev.graft.inference.predict.BadRequestException;
import dev.graft.inference.versions.ModelManager;
import dev.graft.inference.versions.ModelStatus;
import dev.graft.inference.versions.VersionUnavailableException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;

/**
 * {@code /api/models}: what serves, what is loaded, held back or broken; pin a version (rollback)
 * and unpin. Pinning and unpinning need the API key when one is configured.
 */
@Path("/api/models")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "models", description = "Serving versions, pins and rollbacks")
public class ModelsResource {
    private static final String STATUS_EXAMPLE = """
            {"model": "fashion-classifier", "version": 3, "promotion": "gated", "loadedVersions": [2, 3],
             "newestVersion": 4, "heldBack": [{"version": 4, "reason": "validation accuracy 0.8710 does not beat serving version 3's 0.8890"}],
             "failed": [], "task": "classification", "labels": ["T-shirt/top", "Trouser"],
             "inputShape": {"channels": 3, "height": 48, "width": 48}, "validationMetrics": {"accuracy": 0.889, "loss": 0.31}}""";

    private final ModelManager manager;

    public ModelsResource(ModelManager manager) {
        this.manager = manager;
    }

    /** @param version the version to serve until unpinned */
    public record Pin(Integer version) {
    }

    @GET
    @Operation(summary = "Every model this service knows: serving version, loaded, held back and failed versions")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            examples = @ExampleObject(name = "gated model", value = "[" + STATUS_EXAMPLE + "]")))
    public List<ModelStatus> list() {
        return manager.status();
    }

    @GET
    @Path("/{model}")
    @Operation(summary = "One model's serving state")
    public ModelStatus get(@PathParam("model") String model) {
        return manager.status(model).orElseThrow(() -> new VersionUnavailableException(
                VersionUnavailableException.Reason.UNKNOWN, "no model '" + model + "' is known to this service"));
    }

    @PUT
    @Path("/{model}/serving")
    @Blocking
    @AdminOnly
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Pin a version (e.g. roll back): it serves, loaded first if needed, until unpinned")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "rollback", value = "{\"version\": 2}")))
    @APIResponse(responseCode = "200", description = "The model's state with the pin")
    @APIResponse(responseCode = "401", description = "API key missing or wrong")
    @APIResponse(responseCode = "404", description = "No such model or version in the store")
    @APIResponse(responseCode = "409", description = "The version cannot be loaded")
    public ModelStatus pin(@PathParam("model") String model, Pin pin) {
        if (pin == null || pin.version() == null || pin.version() < 1) {
            throw new BadRequestException("send {\"version\": N} with the version to serve");
        }
        return manager.pin(model, pin.version());
    }

    @DELETE
    @Path("/{model}/serving")
    @Blocking
    @AdminOnly
    @Operation(summary = "Unpin: the newest version that is neither held back nor broken serves again")
    public ModelStatus unpin(@PathParam("model") String model) {
        return manager.unpin(model);
    }
}
