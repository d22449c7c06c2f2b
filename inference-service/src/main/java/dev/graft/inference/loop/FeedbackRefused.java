package dev.graft.inference.loop;

/** Feedback that is not taken, with why: each kind is its own status. */
public class FeedbackRefused extends RuntimeException {
    public enum Kind {
        /** 400: no such model here, a label it does not have, a value for a classifier, ... */
        BAD_REQUEST,
        /** 404: an id this service never issued for that model */
        UNKNOWN_PREDICTION,
        /** 410: older than the feedback window */
        EXPIRED,
        /** 409: the prediction log did not sample it, so there is nothing to join it with */
        NOT_LOGGED,
        /** 503: Kafka or the store did not answer; sending it again is safe */
        UNAVAILABLE
    }

    private final Kind kind;

    public FeedbackRefused(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public FeedbackRefused(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
