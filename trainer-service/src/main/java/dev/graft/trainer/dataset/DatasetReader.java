package dev.graft.trainer.dataset;

import jakarta.inject.Inject;
import dev.graft.trainer.config.TrainerConfig;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reads datasets under the trainer's data root: class-per-folder (as Keras' flow_from_directory)
 * or a CSV naming each image and its target or label. Any problem is an {@link IllegalArgumentException}
 * naming the file, for the failed event.
 */
@ApplicationScoped
public class DatasetReader {
    private static final Logger LOG = Logger.getLogger(DatasetReader.class);
    private static final List<String> IMAGE_EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    private final Path dataRoot;
    private final RemoteDatasets remote;

    @Inject
    public DatasetReader(TrainerConfig config, RemoteDatasets remote) {
        this(config.dataRoot(), remote);
    }

    public DatasetReader(String dataRoot, RemoteDatasets remote) {
        this.dataRoot = Path.of(dataRoot).toAbsolutePath().normalize();
        this.remote = remote;
    }


    public Path dataRoot() {
        return dataRoot;
    }

    /**
     * One sub-folder per class; labels are the sorted folder names if {@code knownLabels} is null,
     * else must be among {@code knownLabels} (validation uses the training labels).
     */
    public LabeledImages classFolders(String relativeDir, List<String> knownLabels) {
        // an S3 dataset is read from its local mirror, which is then the root nothing may leave
        boolean fromBucket = RemoteDatasets.isRemote(relativeDir);
        Path dir = fromBucket ? remote.folder(relativeDir) : resolve(relativeDir);
        Path root = fromBucket ? dir : dataRoot;
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("dataset folder " + relativeDir + " does not exist under " + dataRoot);
        }
        List<String> folders = list(dir).stream().filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        List<String> labels = knownLabels != null ? knownLabels : folders;
        if (knownLabels == null && labels.size() < 2) {
            throw new IllegalArgumentException("dataset folder " + relativeDir + " needs at least two class folders, found "
                    + folders);
        }
        List<Path> files = new ArrayList<>();
        List<Integer> classes = new ArrayList<>();
        for (String folder : folders) {
            int index = labels.indexOf(folder);
            if (index < 0) {
                throw new IllegalArgumentException("class folder " + relativeDir + "/" + folder
                        + " is not one of the training classes " + labels);
            }
            List<Path> images = list(dir.resolve(folder)).stream().filter(DatasetReader::isImage).sorted().toList();
            images.forEach(image -> requireUnderRoot(root, image, relativeDir + "/" + folder + "/" + image.getFileName()));
            if (images.isEmpty()) {
                throw new IllegalArgumentException("class folder " + relativeDir + "/" + folder + " has no images");
            }
            files.addAll(images);
            images.forEach(i -> classes.add(index));
        }
        return new LabeledImages(files, labels, classes.stream().mapToInt(Integer::intValue).toArray(), null);
    }

    /** A CSV with a header row; image paths are relative to the CSV's folder. */
    public LabeledImages csvTargets(String relativeCsv, String fileColumn, String targetColumn) {
        CsvRows rows = csvRows(relativeCsv, fileColumn, targetColumn);
        double[] targets = new double[rows.files().size()];
        for (int i = 0; i < targets.length; i++) {
            String cell = rows.cells().get(i);
            try {
                targets[i] = Double.parseDouble(cell);
                if (!Double.isFinite(targets[i])) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(rows.where(i) + ": target '" + cell + "' is not a number");
            }
        }
        return new LabeledImages(rows.files(), List.of(), null, targets);
    }

    /**
     * Images named by a CSV (relative to it), each with a label that must be one of {@code labels}. Rows with
     * another label are left out and logged (live feedback may name a class this training does not have: the
     * rest still trains); none left is an empty set.
     */
    public LabeledImages csvLabels(String relativeCsv, String fileColumn, String labelColumn, List<String> labels) {
        CsvRows rows = csvRows(relativeCsv, fileColumn, labelColumn);
        List<Path> files = new ArrayList<>();
        List<Integer> classes = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < rows.files().size(); i++) {
            int index = labels.indexOf(rows.cells().get(i));
            if (index < 0) {
                unknown.add(rows.where(i) + ": '" + rows.cells().get(i) + "'");
            } else {
                files.add(rows.files().get(i));
                classes.add(index);
            }
        }
        if (!unknown.isEmpty()) {
            LOG.warnf("%d rows of %s left out: their labels are not training classes %s (%s)", unknown.size(), relativeCsv,
                    labels, String.join(", ", unknown.subList(0, Math.min(5, unknown.size()))));
        }
        return new LabeledImages(files, labels, classes.stream().mapToInt(Integer::intValue).toArray(), null);
    }

    /** A CSV's images, each checked to exist under the root, with the cell of {@code valueColumn} beside each. */
    private record CsvRows(String csv, List<Path> files, List<String> cells, List<Integer> lines) {
        String where(int row) {
            return csv + " line " + lines.get(row);
        }
    }

    private CsvRows csvRows(String relativeCsv, String fileColumn, String valueColumn) {
        boolean fromBucket = RemoteDatasets.isRemote(relativeCsv);
        Path csv = fromBucket ? remote.csv(relativeCsv) : resolve(relativeCsv);
        Path root = fromBucket ? csv.getParent() : dataRoot;
        List<String> lines;
        try {
            lines = Files.readAllLines(csv);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read dataset CSV " + relativeCsv + " under " + dataRoot);
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("dataset CSV " + relativeCsv + " is empty");
        }
        List<String> header = Arrays.stream(lines.get(0).split(",")).map(String::trim).toList();
        int fileIndex = header.indexOf(fileColumn);
        int valueIndex = header.indexOf(valueColumn);
        if (fileIndex < 0 || valueIndex < 0) {
            throw new IllegalArgumentException("dataset CSV " + relativeCsv + " needs columns '" + fileColumn + "' and '"
                    + valueColumn + "', header has " + header);
        }
        List<Path> files = new ArrayList<>();
        List<String> cells = new ArrayList<>();
        List<Integer> numbers = new ArrayList<>();
        for (int row = 1; row < lines.size(); row++) {
            String line = lines.get(row);
            if (line.isBlank()) {
                continue;
            }
            String[] cell = line.split(",", -1);
            String where = relativeCsv + " line " + (row + 1);
            if (cell.length <= Math.max(fileIndex, valueIndex)) {
                throw new IllegalArgumentException(where + " has " + cell.length + " columns, header has " + header.size());
            }
            Path image = csv.getParent().resolve(cell[fileIndex].trim()).normalize();
            requireUnderRoot(root, image, where);
            if (!Files.isRegularFile(image)) {
                throw new IllegalArgumentException(where + ": image " + cell[fileIndex].trim() + " does not exist");
            }
            files.add(image);
            cells.add(cell[valueIndex].trim());
            numbers.add(row + 1);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("dataset CSV " + relativeCsv + " has no rows");
        }
        return new CsvRows(relativeCsv, files, cells, numbers);
    }

    /** A file under the data root, e.g. a Keras model; missing or outside the root is a clear error. */
    public Path existingFile(String relative) {
        Path file = resolve(relative);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("file " + relative + " does not exist under the data root " + dataRoot);
        }
        return file;
    }

    /**
     * A model saved as a folder of files (a TF.js model.json beside its weight shards): under the data
     * root, or an {@code s3://} folder in an allowed bucket, read from its local mirror.
     */
    public Path existingFolder(String location) {
        Path folder = RemoteDatasets.isRemote(location) ? remote.folder(location) : resolve(location);
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("folder " + location + " does not exist under the data root " + dataRoot);
        }
        return folder;
    }

    private Path resolve(String relative) {
        Path path = dataRoot.resolve(relative).normalize();
        requireUnderRoot(dataRoot, path, relative);
        return path;
    }

    /**
     * By name (no "..", no absolute path out) and, for what exists, by where its symbolic links lead:
     * a link inside the root to a folder or file outside it is refused too.
     */
    private void requireUnderRoot(Path root, Path path, String what) {
        String rule = root.equals(dataRoot) ? "the data root " + root : "the dataset's folder " + root;
        if (!path.startsWith(root)) {
            throw new IllegalArgumentException(what + " points outside " + rule);
        }
        if (Files.exists(path)) {
            try {
                if (!path.toRealPath().startsWith(root.toRealPath())) {
                    throw new IllegalArgumentException(what + " leads outside " + rule
                            + " through a symbolic link");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot resolve " + what + " under the data root: " + e.getMessage());
            }
        }
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(file) && IMAGE_EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }
}
