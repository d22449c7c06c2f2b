package dev.graft.loop.join;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A store of JSON values by id with an index by time beside it ({@code TIME|ID}, the time zero-padded so
 * that keys sort as instants), so that a sweep reads only what it expires and the live figures only the
 * live window, never a whole store.
 */
final class TimeIndexed {
    private static final String FORMAT = "%015d|%s";
    /** Later than any time an index holds: 15 digits of milliseconds. */
    static final Instant END = Instant.ofEpochMilli(999_999_999_999_999L);

    private final KeyValueStore<String, String> values;
    private final KeyValueStore<String, String> byTime;

    TimeIndexed(KeyValueStore<String, String> values, KeyValueStore<String, String> byTime) {
        this.values = values;
        this.byTime = byTime;
    }

    static String index(Instant time, String id) {
        return String.format(FORMAT, Math.max(0, Math.min(END.toEpochMilli(), time.toEpochMilli())), id);
    }

    String get(String id) {
        return values.get(id);
    }

    /** Puts the value at its time; the value it replaces, at its own time, is unindexed. */
    void put(String id, String value, Instant time, Instant replacedTime) {
        if (replacedTime != null) {
            byTime.delete(index(replacedTime, id));
        }
        values.put(id, value);
        byTime.put(index(time, id), id);
    }

    void delete(String id, Instant time) {
        values.delete(id);
        byTime.delete(index(time, id));
    }

    /** Ids and values from {@code from} (inclusive) to {@code to} (exclusive), oldest first. */
    List<KeyValue<String, String>> between(Instant from, Instant to) {
        List<KeyValue<String, String>> found = new ArrayList<>();
        try (KeyValueIterator<String, String> range = byTime.range(index(from, ""), index(to, ""))) {
            while (range.hasNext()) {
                KeyValue<String, String> entry = range.next();
                String value = values.get(entry.value);
                if (value != null) {
                    found.add(KeyValue.pair(entry.value, value));
                }
            }
        }
        return found;
    }

    /** Index entries before {@code to}, to expire: their index keys and ids. */
    List<KeyValue<String, String>> before(Instant to) {
        List<KeyValue<String, String>> found = new ArrayList<>();
        try (KeyValueIterator<String, String> range = byTime.range(index(Instant.EPOCH, ""), index(to, ""))) {
            range.forEachRemaining(found::add);
        }
        return found;
    }

    /** Expires one index entry {@link #before} found, with its value. */
    void expire(KeyValue<String, String> indexEntry) {
        byTime.delete(indexEntry.key);
        values.delete(indexEntry.value);
    }
}
