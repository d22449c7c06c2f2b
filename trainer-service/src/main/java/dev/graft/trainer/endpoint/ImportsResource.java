package dev.graft.trainer.endpoint;

import dev.graft.trainer.imports.ImageNetImport;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Map;

/** {@code POST /api/imports/resnet50-imagenet}: the ImageNet classifier stored as a model ({@code bin/graft import}). */
@Path("/api/imports")
@Produces(MediaType.APPLICATION_JSON)
public class ImportsResource {
    private final ImageNetImport imageNet;

    public ImportsResource(ImageNetImport imageNet) {
        this.imageNet = imageNet;
    }

    @POST
    @Path(ImageNetImport.MODEL)
    public Response importImageNet() {
        try {
            return Response.ok(imageNet.importResNet50()).build();
        } catch (IllegalArgumentException e) {
            // the weights are not converted yet: the message says how
            return Response.status(Response.Status.CONFLICT).entity(Map.of("error", e.getMessage())).build();
        }
    }
}
