package dev.graft.loop.endpoint;

import dev.graft.loop.live.LiveFigures;
import dev.graft.loop.live.LiveMetrics;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Map;

/** {@code GET /api/live[/{model}]}: each version's live figures, as the join last computed them. */
@Path("/api/live")
@Produces(MediaType.APPLICATION_JSON)
public class LiveResource {
    private final LiveMetrics live;

    public LiveResource(LiveMetrics live) {
        this.live = live;
    }

    /** One version's figures: examples, and accuracy with the confusion (classifier) or mae (regressor). */
    public record VersionFigures(String model, int version, String task, long examples, Double accuracy, Double mae,
                                 Map<String, Map<String, Long>> confusion) {
    }

    @GET
    public List<VersionFigures> all() {
        return live.latest().versions().entrySet().stream().map(e -> figures(e.getKey(), e.getValue())).toList();
    }

    @GET
    @Path("/{model}")
    public List<VersionFigures> model(@PathParam("model") String model) {
        return all().stream().filter(f -> f.model().equals(model)).toList();
    }

    private static VersionFigures figures(LiveFigures.Version version, LiveFigures.Figures f) {
        return new VersionFigures(version.model(), version.version(), f.task().name().toLowerCase(java.util.Locale.ROOT),
                f.examples(), f.accuracy(), f.mae(), f.accuracy() == null ? null : f.confusion());
    }
}
