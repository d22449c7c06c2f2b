package dev.graft.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The PromQL in Grafana dashboards: every panel, annotation and variable query, and the series each one selects. */
final class Dashboards {
    static final Path DIR = Path.of("grafana/dashboards");
    static final ObjectMapper JSON = new ObjectMapper();

    /** One query, named by where it is for failure messages. */
    record Query(String where, String expr) {
    }

    /** A series selector: a metric name and the label matchers that must hold exactly (name="value"). */
    record Selector(String metric, Map<String, String> equalities) {
    }

    private static final Pattern BRACED = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!=|!~|=)\\s*\"([^\"]*)\"");
    private static final Pattern LABEL_LISTS = Pattern.compile(
            "\\b(by|on|without|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("\\b([a-zA-Z_:][a-zA-Z0-9_:]*)\\b(\\s*\\()?");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");
    /** Operators and aggregations that are not followed by a parenthesis directly ("sum by (x) (...)"). */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "on", "without", "ignoring",
            "group_left", "group_right", "offset", "bool", "sum", "min", "max", "avg", "count", "group", "stddev",
            "stdvar", "topk", "bottomk", "quantile", "count_values");

    private Dashboards() {
    }

    static List<Path> files() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        }
    }

    static List<Query> queries(Path dashboard) throws IOException {
        JsonNode root = JSON.readTree(dashboard.toFile());
        String name = dashboard.getFileName().toString();
        List<Query> queries = new ArrayList<>();
        for (JsonNode panel : panels(root)) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(new Query(name + " / " + panel.path("title").asText() + " / " + target.path("refId").asText(),
                        target.path("expr").asText()));
            }
        }
        for (JsonNode annotation : root.path("annotations").path("list")) {
            if (annotation.has("expr")) {
                queries.add(new Query(name + " / annotation " + annotation.path("name").asText(),
                        annotation.path("expr").asText()));
            }
        }
        for (JsonNode variable : root.path("templating").path("list")) {
            Matcher m = LABEL_VALUES.matcher(variable.path("definition").asText());
            if (m.find()) {
                queries.add(new Query(name + " / variable " + variable.path("name").asText(), m.group(1)));
            }
        }
        return queries;
    }

    /** Panels at the top and inside collapsed rows. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    /** The series an expression reads; Grafana's variables do not change which. */
    static List<Selector> selectors(String expr) {
        List<Selector> selectors = new ArrayList<>();
        Matcher braced = BRACED.matcher(expr);
        StringBuilder rest = new StringBuilder();
        while (braced.find()) {
            Map<String, String> equalities = new LinkedHashMap<>();
            Matcher matcher = MATCHER.matcher(braced.group(2));
            while (matcher.find()) {
                if (matcher.group(2).equals("=") && !matcher.group(3).contains("$")) {
                    equalities.put(matcher.group(1), matcher.group(3));
                }
            }
            selectors.add(new Selector(braced.group(1), equalities));
            braced.appendReplacement(rest, " ");
        }
        braced.appendTail(rest);
        String bare = LABEL_LISTS.matcher(rest.toString().replaceAll("\\[[^]]*]", " ")).replaceAll(" ")
                .replaceAll("\\boffset\\s+\\S+", " ");
        Matcher identifier = IDENTIFIER.matcher(bare);
        while (identifier.find()) {
            if (identifier.group(2) == null && !KEYWORDS.contains(identifier.group(1))) {
                selectors.add(new Selector(identifier.group(1), Map.of()));
            }
        }
        return selectors;
    }
}
