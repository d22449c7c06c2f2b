package dev.graft.inference.endpoint;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Answers a declared body over {@code quarkus.http.limits.max-body-size} with 413 and a JSON message
 * before any of it is read (the HTTP layer's own 413 has an empty body); feedback, a few fields, has a
 * limit of {@value FeedbackResource#MAX_BODY_BYTES} bytes of its own, and must declare its length (411).
 * Other bodies sent without a length are still cut off at the HTTP layer's limit.
 */
@ApplicationScoped
public class BodySizeLimit {
    private final long maxBytes;

    public BodySizeLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize max) {
        this.maxBytes = max.asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(PredictionCounting.ORDER + 1).handler(context -> {
            String length = context.request().getHeader("Content-Length");
            boolean feedback = context.normalizedPath().endsWith("/feedback") || context.normalizedPath().endsWith("/feedback/");
            long limit = feedback ? FeedbackResource.MAX_BODY_BYTES : maxBytes;
            if (feedback && length == null && context.request().method() == io.vertx.core.http.HttpMethod.POST) {
                // a chunked body would be read up to the HTTP layer's limit before anyone could look at it
                context.response().setStatusCode(411).putHeader("Content-Type", "application/json")
                        .end("{\"error\":\"feedback must be sent with a Content-Length (at most " + limit + " bytes)\"}");
                return;
            }
            if (length != null && tooLong(length, limit)) {
                // the body is never read: close the connection once answered, as the HTTP layer does
                context.response().setStatusCode(413).putHeader("Content-Type", "application/json")
                        .putHeader("Connection", "close")
                        .endHandler(ended -> context.request().connection().close())
                        .end("{\"error\":\"request body of " + length + " bytes is over the limit of " + limit
                                + (feedback ? " bytes for feedback\"}" : " bytes (quarkus.http.limits.max-body-size)\"}"));
                return;
            }
            context.next();
        });
    }

    private static boolean tooLong(String length, long limit) {
        try {
            return Long.parseLong(length.trim()) > limit;
        } catch (NumberFormatException e) {
            return false;   // the HTTP layer rejects a malformed length itself
        }
    }
}
