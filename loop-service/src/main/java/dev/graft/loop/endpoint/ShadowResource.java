package dev.graft.loop.endpoint;

import dev.graft.contract.events.ShadowComparison;
import dev.graft.loop.shadow.ShadowMetrics;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/**
 * {@code GET /api/shadow[/{model}]}: how each version in shadow compares with the serving one on the
 * live examples both answered, as the comparer last published it (the inference service's live gate reads
 * the same from Kafka).
 */
@Path("/api/shadow")
@Produces(MediaType.APPLICATION_JSON)
public class ShadowResource {
    private final ShadowMetrics shadow;

    public ShadowResource(ShadowMetrics shadow) {
        this.shadow = shadow;
    }

    @GET
    public List<ShadowComparison> all() {
        return List.copyOf(shadow.latest().values());
    }

    @GET
    @Path("/{model}")
    public ShadowComparison model(@PathParam("model") String model) {
        ShadowComparison comparison = shadow.latest().get(model);
        if (comparison == null) {
            throw new NotFoundException("no version of " + model + " is compared in shadow (within the live window)");
        }
        return comparison;
    }
}
