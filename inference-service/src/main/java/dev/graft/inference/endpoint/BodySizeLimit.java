package dev.graft.inference.endpoint;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Answers a declared body over {@code quarkus.http.limits.max-body-size} with 413 and a JSON message
 * before any of it is read (the HTTP layer's own 413 has an empty body). Bodies sent without a length
 * are still cut off at the limit by the HTTP layer.
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
            if (length != null && tooLong(length)) {
                // the body is never read: close the connection once answered, as the HTTP layer does
                context.response().setStatusCode(413).putHeader("Content-Type", "application/json")
                        .putHeader("Connection", "close")
                        .endHandler(ended -> context.request().connection().close())
                        .end("{\"error\":\"request body of " + length + " bytes is over the limit of " + maxBytes
                                + " bytes (quarkus.http.limits.max-body-size)\"}");
                return;
            }
            context.next();
        });
    }

    private boolean tooLong(String length) {
        try {
            return Long.parseLong(length.trim()) > maxBytes;
        } catch (NumberFormatException e) {
            return false;   // the HTTP layer rejects a malformed length itself
        }
    }
}
