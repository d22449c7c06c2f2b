package dev.graft.trainer.endpoint;

import dev.graft.trainer.pool.TrainingRegistry;
import dev.graft.trainer.training.Charts;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;
import java.util.Map;

/**
 * A training's state, history and report ({@code GET /api/trainings/{requestId}}), and the charts
 * stored with its version ({@code GET /api/trainings/{requestId}/charts/curves.png}).
 */
@Path("/api/trainings/{requestId}")
public class TrainingsResource {
    private static final List<String> CHARTS = List.of(Charts.CURVES, Charts.CONFUSION, Charts.RESIDUALS);

    private final TrainingRegistry registry;

    public TrainingsResource(TrainingRegistry registry) {
        this.registry = registry;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response get(@PathParam("requestId") String requestId) {
        return registry.find(requestId)
                .map(status -> Response.ok(status).build())
                .orElseGet(() -> notFound("no training with requestId '" + requestId + "'"));
    }

    @GET
    @Path("/charts/{name}")
    @Produces({"image/png", MediaType.APPLICATION_JSON})
    public Response chart(@PathParam("requestId") String requestId, @PathParam("name") String name) {
        if (!CHARTS.contains(name)) {
            return notFound("no chart '" + name + "'; charts: " + CHARTS);
        }
        return registry.storedFile(requestId, name)
                .map(bytes -> Response.ok(bytes, "image/png").build())
                .orElseGet(() -> notFound("training '" + requestId + "' has no stored " + name));
    }

    private static Response notFound(String message) {
        return Response.status(Response.Status.NOT_FOUND).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", message)).build();
    }
}
