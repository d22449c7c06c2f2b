package dev.graft.inference.predict;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import dev.graft.contract.events.PredictionRecord;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/** A prediction as the prediction log publishes it: what the caller got, with its latency and image. */
final class LogRecords {
    private LogRecords() {
    }

    /**
     * @param traceId  the request's trace, null for none
     * @param shadowOf for a version in shadow's answer, the id of the answer the caller got; null otherwise
     */
    static PredictionRecord of(Prediction prediction, double latencyMs, String imageSha256, String capturedImage, Instant time,
                               String traceId, String shadowOf) {
        return new PredictionRecord(prediction.predictionId(), prediction.model(), prediction.version(), prediction.task(),
                prediction.label(), prediction.top() == null ? null : prediction.top().stream()
                        .map(s -> new PredictionRecord.Scored(s.label(), s.probability())).toList(),
                prediction.value(), latencyMs, imageSha256, capturedImage, time, traceId, shadowOf);
    }

    /** The current trace's id (the request's, on its thread), or null. */
    static String currentTraceId() {
        SpanContext span = Span.current().getSpanContext();
        return span.isValid() ? span.getTraceId() : null;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
