package dev.graft.contract.manifest;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;

/** What a model predicts: a label out of a fixed set, or one real number. */
public enum Task {
    CLASSIFICATION, REGRESSION;

    @JsonValue
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Task parse(String value) {
        for (Task task : values()) {
            if (task.jsonName().equalsIgnoreCase(value)) {
                return task;
            }
        }
        throw new IllegalArgumentException("unknown task '" + value + "', expected one of "
                + Arrays.stream(values()).map(Task::jsonName).toList());
    }
}
