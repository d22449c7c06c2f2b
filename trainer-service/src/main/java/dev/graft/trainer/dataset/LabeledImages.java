package dev.graft.trainer.dataset;

import java.nio.file.Path;
import java.util.List;

/**
 * Image files with their targets, before any pixel is read: a class index per file
 * (classification) or a real value per file (regression).
 */
public record LabeledImages(List<Path> files, List<String> labels, int[] classIndex, double[] target) {

    public int size() {
        return files.size();
    }

    /** How many images each label has, in label order (classification). */
    public int[] classCounts() {
        int[] counts = new int[labels.size()];
        for (int index : classIndex) {
            counts[index]++;
        }
        return counts;
    }
}
