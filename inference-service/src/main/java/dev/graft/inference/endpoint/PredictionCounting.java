package dev.graft.inference.endpoint;

import dev.graft.inference.metrics.InferenceMetrics;
import dev.graft.inference.versions.ModelManager;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts every answer of the predict and inference endpoints in {@code graft_predictions_total}, with
 * its latency, as the answer is sent: those refused before any model is involved too (body size,
 * Content-Type, unreadable JSON, a bad version header or base64, a missing part, a missing key). The
 * version label is the one the answer names in {@value PredictResource#VERSION_HEADER}, "none" where
 * no version was chosen; the outcome follows the status, which {@link ErrorMappers} sets per kind of
 * failure. The model label is the URL's only for a model this service knows (from the store or a
 * version event); every other name counts under {@value #UNKNOWN_MODEL}, so that no client can add
 * series by inventing names. Answers of the feedback endpoint are counted the same way in
 * {@code graft_feedback_total{model, outcome}}.
 */
@ApplicationScoped
public class PredictionCounting {
    static final int ORDER = Integer.MIN_VALUE;
    /** Not a model name: those start with a letter or digit. */
    static final String UNKNOWN_MODEL = "_unknown";
    private static final Pattern PREDICT = Pattern.compile("/api/models/([^/]+)/predict/?");
    private static final Pattern INFER = Pattern.compile("/v2/models/([^/]+)(?:/versions/[^/]+)?/infer/?");
    private static final Pattern FEEDBACK = Pattern.compile("/api/models/([^/]+)/feedback/?");

    private final InferenceMetrics metrics;
    private final ModelManager models;

    public PredictionCounting(InferenceMetrics metrics, ModelManager models) {
        this.metrics = metrics;
        this.models = models;
    }

    void install(@Observes Router router) {
        // first of all handlers, so that even the body-size refusal is seen
        router.route().order(ORDER).handler(this::count);
    }

    private void count(RoutingContext context) {
        Matcher feedback = FEEDBACK.matcher(context.normalizedPath());
        if (feedback.matches()) {
            String model = models.knows(feedback.group(1)) ? feedback.group(1) : UNKNOWN_MODEL;
            context.addHeadersEndHandler(headers -> metrics.feedback(model, feedbackOutcome(context.response().getStatusCode())));
        }
        String named = model(context.normalizedPath());
        if (named != null) {
            String model = models.knows(named) ? named : UNKNOWN_MODEL;
            long start = System.nanoTime();
            // counted as the headers go out, so a client that has its answer finds it counted
            context.addHeadersEndHandler(headers -> {
                String version = context.response().headers().get(PredictResource.VERSION_HEADER);
                metrics.prediction(model, version != null ? version : "none", outcome(context.response().getStatusCode()),
                        System.nanoTime() - start);
            });
        }
        context.next();
    }

    private static String model(String path) {
        for (Pattern endpoint : new Pattern[]{PREDICT, INFER}) {
            Matcher m = endpoint.matcher(path);
            if (m.matches()) {
                return m.group(1);
            }
        }
        return null;
    }

    /** The metrics label of a feedback answer's status. */
    static String feedbackOutcome(int status) {
        return switch (status) {
            case 202 -> "accepted";
            case 401, 403 -> "unauthorized";
            case 404 -> "unknown_prediction";
            case 409 -> "not_logged";
            case 411 -> "length_required";
            case 410 -> "expired";
            case 413 -> "too_large";
            case 503 -> "unavailable";
            default -> status >= 500 ? "error" : "bad_request";
        };
    }

    /** The metrics label of an answer's status. */
    static String outcome(int status) {
        return switch (status) {
            case 200 -> "ok";
            case 401, 403 -> "unauthorized";
            case 404 -> "unknown_model";
            case 409 -> "not_loadable";
            case 413 -> "too_large";
            case 415 -> "unsupported_format";
            default -> status >= 500 ? "error" : "bad_request";
        };
    }
}
