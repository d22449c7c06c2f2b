package dev.graft.trainer.dataset;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Image files with their targets, before any pixel is read: a class index per file
 * (classification) or a real value per file (regression).
 */
public record LabeledImages(List<Path> files, List<String> labels, int[] classIndex, double[] target) {

    public int size() {
        return files.size();
    }

    public boolean isClassification() {
        return classIndex != null;
    }

    /** How many images each label has, in label order (classification). */
    public int[] classCounts() {
        int[] counts = new int[labels.size()];
        for (int index : classIndex) {
            counts[index]++;
        }
        return counts;
    }

    /** Label to image count, in label order (classification). */
    public Map<String, Integer> countsByLabel() {
        int[] counts = classCounts();
        Map<String, Integer> byLabel = new LinkedHashMap<>();
        for (int i = 0; i < counts.length; i++) {
            byLabel.put(labels.get(i), counts[i]);
        }
        return byLabel;
    }

    /** These images, then {@code more} (with the same labels, for classification). */
    public LabeledImages plus(LabeledImages more) {
        if (isClassification() != more.isClassification() || (isClassification() && !labels.equals(more.labels))) {
            throw new IllegalArgumentException("cannot add images labelled " + more.labels + " to images labelled " + labels);
        }
        List<Path> all = new ArrayList<>(files);
        all.addAll(more.files);
        return new LabeledImages(all, labels,
                classIndex == null ? null : IntStream.concat(IntStream.of(classIndex), IntStream.of(more.classIndex)).toArray(),
                target == null ? null : java.util.stream.DoubleStream.concat(java.util.Arrays.stream(target),
                        java.util.Arrays.stream(more.target)).toArray());
    }

    /** These images, restricted to {@code rows} in that order. */
    public LabeledImages subset(int[] rows) {
        List<Path> picked = IntStream.of(rows).mapToObj(files::get).toList();
        return new LabeledImages(picked, labels,
                classIndex == null ? null : IntStream.of(rows).map(i -> classIndex[i]).toArray(),
                target == null ? null : IntStream.of(rows).mapToDouble(i -> target[i]).toArray());
    }

    /**
     * Holds out {@code fraction} of the images, drawn with {@code seed}: per class for classification
     * (so every class keeps the same share), over all rows for regression. Returns {train, validation}.
     */
    public List<LabeledImages> split(double fraction, long seed) {
        Random random = new Random(seed);
        List<List<Integer>> groups = new ArrayList<>();
        if (isClassification()) {
            for (int label = 0; label < labels.size(); label++) {
                int wanted = label;
                groups.add(IntStream.range(0, size()).filter(i -> classIndex[i] == wanted).boxed()
                        .collect(ArrayList::new, ArrayList::add, ArrayList::addAll));
            }
        } else {
            groups.add(IntStream.range(0, size()).boxed().collect(ArrayList::new, ArrayList::add, ArrayList::addAll));
        }
        List<Integer> train = new ArrayList<>();
        List<Integer> validation = new ArrayList<>();
        for (List<Integer> group : groups) {
            Collections.shuffle(group, random);
            int held = (int) Math.round(group.size() * fraction);
            if (held == 0 || held == group.size()) {
                throw new IllegalArgumentException("validationSplit " + fraction + " of " + group.size()
                        + (isClassification() ? " images of one class" : " images")
                        + " leaves no image on one side; use more images or another split");
            }
            validation.addAll(group.subList(0, held));
            train.addAll(group.subList(held, group.size()));
        }
        Collections.sort(train);
        Collections.sort(validation);
        return List.of(subset(train.stream().mapToInt(Integer::intValue).toArray()),
                subset(validation.stream().mapToInt(Integer::intValue).toArray()));
    }
}
