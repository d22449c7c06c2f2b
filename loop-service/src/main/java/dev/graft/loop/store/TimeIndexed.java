package dev.graft.loop.store;

import org.apache.kafka.common.serialization.StringSerializer;
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
public final class TimeIndexed {
    private static final String FORMAT = "%015d|%s";
    /** Later than any time an index holds: 15 digits of milliseconds. */
    public static final Instant END = Instant.ofEpochMilli(999_999_999_999_999L);

    private final KeyValueStore<String, String> values;
    private final KeyValueStore<String, String> byTime;

    public TimeIndexed(KeyValueStore<String, String> values, KeyValueStore<String, String> byTime) {
        this.values = values;
        this.byTime = byTime;
    }

    public static String index(Instant time, String id) {
        return String.format(FORMAT, Math.max(0, Math.min(END.toEpochMilli(), time.toEpochMilli())), id);
    }

    public String get(String id) {
        return values.get(id);
    }

    /** Puts the value at its time; the value it replaces, at its own time, is unindexed. */
    public void put(String id, String value, Instant time, Instant replacedTime) {
        if (replacedTime != null) {
            byTime.delete(index(replacedTime, id));
        }
        values.put(id, value);
        byTime.put(index(time, id), id);
    }

    public void delete(String id, Instant time) {
        values.delete(id);
        byTime.delete(index(time, id));
    }

    /** Ids and values from {@code from} (inclusive) to {@code to} (exclusive), oldest first. */
    public List<KeyValue<String, String>> between(Instant from, Instant to) {
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

    /** The values whose ids start with {@code prefix}, in id order. */
    public List<String> withPrefix(String prefix) {
        List<String> found = new ArrayList<>();
        try (KeyValueIterator<String, String> range = values.prefixScan(prefix, new StringSerializer())) {
            range.forEachRemaining(entry -> found.add(entry.value));
        }
        return found;
    }

    /** Index entries before {@code to}, to expire: their index keys and ids. */
    public List<KeyValue<String, String>> before(Instant to) {
        List<KeyValue<String, String>> found = new ArrayList<>();
        try (KeyValueIterator<String, String> range = byTime.range(index(Instant.EPOCH, ""), index(to, ""))) {
            range.forEachRemaining(found::add);
        }
        return found;
    }

    /** Expires one index entry {@link #before} found, with its value. */
    public void expire(KeyValue<String, String> indexEntry) {
        byTime.delete(indexEntry.key);
        values.delete(indexEntry.value);
    }
}
