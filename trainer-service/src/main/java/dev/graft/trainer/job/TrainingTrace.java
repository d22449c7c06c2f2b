package dev.graft.trainer.job;

import dev.graft.trainer.pool.RequestRecord;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.function.Supplier;

/**
 * A training's trace (OpenTelemetry): one span for the request, continued from its record's
 * {@code traceparent} when the sender had a trace, with a span per phase and one for the store write
 * inside it; the model-version event then carries the trace on to the inference service's load. Spans
 * are exported only when sampled (docs/operations.md#tracing); their ids exist either way, so the
 * training events carry them.
 */
@ApplicationScoped
public class TrainingTrace {
    private static final TextMapGetter<Map<String, String>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Tracer tracer;
    private final OpenTelemetry openTelemetry;

    public TrainingTrace(Tracer tracer, OpenTelemetry openTelemetry) {
        this.tracer = tracer;
        this.openTelemetry = openTelemetry;
    }

    /** The request's span, current until the returned scope closes; the caller ends the span after it. */
    Span request(RequestRecord record) {
        // from the root: whatever the training thread ran before must not become the parent
        Context parent = openTelemetry.getPropagators().getTextMapPropagator()
                .extract(Context.root(), record.traceContext(), HEADERS);
        return tracer.spanBuilder("train " + record.key()).setParent(parent).setSpanKind(SpanKind.CONSUMER)
                .setAttribute("messaging.destination.name", record.topic())
                .setAttribute("messaging.kafka.offset", record.offset()).startSpan();
    }

    /** A step's span (a phase), child of the current one; the caller ends it. */
    Span step(String name) {
        return tracer.spanBuilder(name).startSpan();
    }

    /** Runs {@code work} in a child span of its own, which records a failure. */
    <T> T inSpan(String name, Supplier<T> work) {
        Span span = step(name);
        try (Scope scope = span.makeCurrent()) {
            return work.get();
        } catch (RuntimeException e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR);
            throw e;
        } finally {
            span.end();
        }
    }
}
