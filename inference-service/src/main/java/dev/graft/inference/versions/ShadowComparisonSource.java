package dev.graft.inference.versions;

import dev.graft.contract.events.ShadowComparison;
import dev.graft.contract.json.Json;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The live gate's evidence: the loop's comparisons of versions in shadow with the serving ones, from
 * {@code graft.shadow.comparisons}. Each replica reads the whole topic with a group of its own (as it
 * does the model-version events), so every replica judges on the same evidence.
 */
@ApplicationScoped
public class ShadowComparisonSource {
    public static final String CHANNEL = "shadow-comparisons";
    private static final Logger LOG = Logger.getLogger(ShadowComparisonSource.class);

    private final ModelManager manager;

    public ShadowComparisonSource(ModelManager manager) {
        this.manager = manager;
    }

    @Incoming(CHANNEL)
    public void onComparison(String json) {
        ShadowComparison comparison;
        try {
            comparison = Json.read(json, ShadowComparison.class);
        } catch (RuntimeException e) {
            LOG.warnf("ignored a shadow comparison that cannot be read: %s", e.getMessage());
            return;
        }
        if (comparison.model() == null || comparison.pairs().stream().anyMatch(p -> p.task() == null || p.examples() < 1)) {
            LOG.warnf("ignored a shadow comparison without a model, or with a pair without a task or examples: %s", json);
            return;
        }
        manager.compared(comparison);
    }
}
