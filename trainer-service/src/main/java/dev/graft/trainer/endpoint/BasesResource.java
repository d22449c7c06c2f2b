package dev.graft.trainer.endpoint;

import dev.graft.trainer.base.BaseCatalog;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/** The bases a training request may name, with their accepted input sizes and Keras layer names. */
@Path("/api/bases")
@Produces(MediaType.APPLICATION_JSON)
public class BasesResource {
    private final BaseCatalog catalog;

    public BasesResource(BaseCatalog catalog) {
        this.catalog = catalog;
    }

    @GET
    public List<BaseCatalog.BaseInfo> list() {
        return catalog.all();
    }
}
