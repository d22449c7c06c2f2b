package dev.graft.contract.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.graft.contract.manifest.Task;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How a model's versions in shadow do against the version that served beside them, on the live examples
 * both answered (the same image, the same feedback), labelled within the loop's live window. Published by
 * the loop service on {@link Topics#SHADOW_COMPARISONS} keyed by model; the latest per model counts.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ShadowComparison(String model, Instant time, List<Pair> pairs) {

    public ShadowComparison {
        pairs = List.copyOf(pairs);
    }

    /**
     * One candidate against one serving version.
     *
     * @param right a classifier's right answers; {@code absoluteErrors} a regressor's summed distances
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Pair(int candidate, int serving, Task task, long examples, long candidateRight, long servingRight,
                       double candidateAbsoluteErrors, double servingAbsoluteErrors) {

        /** The candidate is right at least as often (a classifier), or misses by no more in all (a regressor). */
        @JsonIgnore
        public boolean atLeastAsGood() {
            return task == Task.REGRESSION ? candidateAbsoluteErrors <= servingAbsoluteErrors : candidateRight >= servingRight;
        }

        /** Accuracy for a classifier, mean absolute error for a regressor. */
        @JsonIgnore
        public double candidateScore() {
            return task == Task.REGRESSION ? candidateAbsoluteErrors / examples : (double) candidateRight / examples;
        }

        @JsonIgnore
        public double servingScore() {
            return task == Task.REGRESSION ? servingAbsoluteErrors / examples : (double) servingRight / examples;
        }

        /** For people: "on 120 live examples both answered, accuracy 0.850 against version 6's 0.817". */
        public String describe() {
            String measure = task == Task.REGRESSION ? "MAE" : "accuracy";
            return String.format(Locale.ROOT, "on %d live examples both answered, %s %.3f against version %d's %.3f",
                    examples, measure, candidateScore(), serving, servingScore());
        }
    }

    /** The candidate's pair against this serving version, if the loop has one. */
    public Optional<Pair> pair(int candidate, int serving) {
        return pairs.stream().filter(p -> p.candidate() == candidate && p.serving() == serving).findFirst();
    }
}
