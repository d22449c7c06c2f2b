package dev.graft.deploy;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DashboardsTest {
    @Test
    void selectorsAreFoundInsideFunctionsAggregationsAndOperators() {
        String expr = "histogram_quantile(0.99, sum by (le, model) (rate(graft_latency_seconds_bucket{model=~\"$model\","
                + " outcome=\"ok\", service=\"inference\"}[$__rate_interval]))) / on (model) group_left"
                + " graft_model_version and ignoring(phase) (graft_phase_active == 1) unless sum(up offset 1m)";

        assertThat(Dashboards.selectors(expr)).containsExactly(
                new Dashboards.Selector("graft_latency_seconds_bucket", Map.of("outcome", "ok", "service", "inference")),
                new Dashboards.Selector("graft_model_version", Map.of()),
                new Dashboards.Selector("graft_phase_active", Map.of()),
                new Dashboards.Selector("up", Map.of()));
    }

    @Test
    void everyShippedDashboardHasQueriesAndEachSelectsSomething() throws Exception {
        assertThat(Dashboards.files()).extracting(p -> p.getFileName().toString())
                .contains("serving.json", "training.json", "loop.json");
        for (var file : Dashboards.files()) {
            var queries = Dashboards.queries(file);
            assertThat(queries).as(file.toString()).hasSizeGreaterThan(10);
            for (var query : queries) {
                assertThat(Dashboards.selectors(query.expr())).as(query.where()).isNotEmpty();
            }
        }
    }
}
