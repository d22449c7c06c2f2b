package dev.graft.trainer.base;

import dev.graft.imaging.network.NetworkFiles;
import jakarta.inject.Inject;
import dev.graft.trainer.config.TrainerConfig;
import dev.graft.imaging.engine.Engine;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.store.ModelStore;
import dev.graft.trainer.dataset.DatasetReader;
import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.common.resources.ResourceType;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.PretrainedType;
import org.deeplearning4j.zoo.ZooModel;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the base a request names: an architecture with random weights or ImageNet's (ResNet50's from
 * npm's package, the others' from the DL4J zoo), a Keras .h5, a TF.js layers model, or a stored Graft model.
 */
@ApplicationScoped
public class BaseFactory {
    private static final Pattern MODEL_WEIGHTS = Pattern.compile("model:([^@]+)(?:@([0-9]+))?");
    public static final String KERAS_PREFIX = "keras:";
    public static final String TFJS_PREFIX = "tfjs:";
    /** Where DL4J's ModelSerializer keeps the network's configuration in a model zip. */
    private static final String NETWORK_CONFIGURATION = "configuration.json";

    private final ModelStore store;
    private final DatasetReader files;
    private final ImageNetWeights imageNet;
    private final Duration downloadTimeout;

    @Inject
    public BaseFactory(ModelStore store, DatasetReader files, ImageNetWeights imageNet, TrainerConfig config) {
        this(store, files, imageNet, config.zoo().cacheDir(), config.zoo().mirror(), config.zoo().downloadTimeout());
    }

    public BaseFactory(ModelStore store, DatasetReader files, ImageNetWeights imageNet, Optional<String> cacheDir,
                       Optional<String> mirror, Duration downloadTimeout) {
        Engine.init();   // before any network: the recipe and its checkpoints build theirs after the bases
        this.store = store;
        this.files = files;
        this.imageNet = imageNet;
        this.downloadTimeout = downloadTimeout;
        cacheDir.ifPresent(dir -> {
            File folder = new File(dir);
            if (!folder.isDirectory() && !folder.mkdirs()) {
                throw new IllegalStateException("graft.zoo.cache-dir " + dir + " cannot be created");
            }
            DL4JResources.setBaseDirectory(folder);
        });
        mirror.ifPresent(url -> DL4JResources.setBaseDownloadURL(url.endsWith("/") ? url : url + "/"));
    }

    public Base load(TrainingRequest.Base spec, long seed) {
        String weights = spec.weights();
        Matcher model = MODEL_WEIGHTS.matcher(weights);
        if (model.matches()) {
            return fromStoredModel(spec, model.group(1), model.group(2));
        }
        InputShape shape = InputShape.rgb(spec.inputHeight(), spec.inputWidth());
        Preprocessing requested = spec.preprocessing() == null ? null : Preprocessing.of(spec.preprocessing());
        if (weights.startsWith(KERAS_PREFIX)) {
            String file = weights.substring(KERAS_PREFIX.length());
            return KerasBases.load(KerasBases.importH5(files.existingFile(file)), file, spec.architecture(), shape,
                    weights, requested);
        }
        if (weights.startsWith(TFJS_PREFIX)) {
            String location = weights.substring(TFJS_PREFIX.length());
            if (location.isBlank() || location.equals(".") || location.equals("/")) {
                throw new IllegalArgumentException("tfjs: needs the folder of a model.json under the data root, not the root");
            }
            return KerasBases.load(TfjsModels.importGraph(files.existingFolder(location), shape), location,
                    spec.architecture(), shape, weights, requested);
        }
        Architecture architecture = Architecture.parse(spec.architecture());
        if (Math.min(shape.height(), shape.width()) < architecture.minInput()) {
            throw new IllegalArgumentException(architecture.id() + " needs inputs of at least " + architecture.minInput()
                    + "x" + architecture.minInput() + " pixels, got " + shape.height() + "x" + shape.width());
        }
        ComputationGraph graph = switch (weights) {
            case "random" -> architecture.randomGraph(shape.height(), shape.width(), seed);
            case "imagenet" -> architecture == Architecture.RESNET50 ? imageNet.graph()
                    : pretrained(architecture, architecture.zooModel(shape.height(), shape.width(), seed)
                    .orElseThrow(() -> new IllegalArgumentException(architecture.id() + " has no imagenet weights")));
            default -> throw new IllegalArgumentException("unknown weights '" + weights
                    + "'; use random, imagenet, keras:PATH, tfjs:PATH or model:NAME[@VERSION]");
        };
        Preprocessing own = weights.equals("imagenet") ? architecture.imagenetPreprocessing() : Preprocessing.UNIT;
        return new Base(graph, architecture, architecture.resolveLayer(graph, architecture.featureLayer()), shape, weights,
                requested != null ? requested : own);
    }

    /**
     * The layers fine-tuning may start from in a {@code model:NAME[@VERSION]} base, read from the
     * stored network's configuration alone (no weights loaded); empty for any other base, or while
     * that version is not in the store (a request may queue behind the training that makes it).
     */
    public Optional<BaseLayers.Named> storedBaseLayers(TrainingRequest.Base spec) {
        Optional<ModelManifest> stored = storedManifest(spec);
        if (stored.isEmpty() || stored.get().base() == null) {
            return Optional.empty();
        }
        ModelManifest manifest = stored.get();
        try (ZipFile zip = new ZipFile(store.verify(manifest).toFile())) {
            ZipEntry entry = zip.getEntry(NETWORK_CONFIGURATION);
            if (entry == null) {
                return Optional.empty();
            }
            ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(
                    new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8));
            String lineage = manifest.base().architecture();
            Architecture architecture = Architecture.KERAS_ID.equals(lineage) ? null : Architecture.parse(lineage);
            return Optional.of(BaseLayers.named(conf, manifest.base().featureLayer(), architecture));
        } catch (IOException | RuntimeException e) {
            // an unreadable stored model fails with its reason when the request trains
            return Optional.empty();
        }
    }

    /** The manifest of a {@code model:NAME[@VERSION]} base; empty for any other base, or while it is not stored. */
    public Optional<ModelManifest> storedManifest(TrainingRequest.Base spec) {
        Matcher model = MODEL_WEIGHTS.matcher(spec.weights());
        if (!model.matches()) {
            return Optional.empty();
        }
        String name = model.group(1);
        Optional<Integer> version = model.group(2) != null ? Optional.of(Integer.parseInt(model.group(2)))
                : store.latestVersion(name);
        if (version.isEmpty() || !store.versions(name).contains(version.get())) {
            return Optional.empty();
        }
        return Optional.of(store.manifest(name, version.get()));
    }

    /** A stored base keeps the preprocessing its layers were trained on: a request asking another is refused. */
    public static void requireOwnPreprocessing(TrainingRequest.Base spec, ModelManifest manifest) {
        if (spec.preprocessing() != null && Preprocessing.of(spec.preprocessing()) != manifest.preprocessingMode()) {
            throw new IllegalArgumentException("base.preprocessing '" + spec.preprocessing() + "' differs from "
                    + spec.weights() + "'s '" + manifest.preprocessingMode().id()
                    + "', which its layers were trained on; leave base.preprocessing out");
        }
    }

    private Base fromStoredModel(TrainingRequest.Base spec, String name, String version) {
        int v = version != null ? Integer.parseInt(version) : store.latestVersion(name).orElseThrow(
                () -> new IllegalArgumentException("base model '" + name + "' has no version in the store at " + store.location()));
        if (!store.versions(name).contains(v)) {
            throw new IllegalArgumentException("base model " + name + "@" + v + " is not in the store; versions: "
                    + store.versions(name));
        }
        ModelManifest manifest = store.manifest(name, v);
        requireOwnPreprocessing(spec, manifest);
        InputShape shape = manifest.inputShape();
        if ((spec.inputHeight() != null && spec.inputHeight() != shape.height())
                || (spec.inputWidth() != null && spec.inputWidth() != shape.width())) {
            throw new IllegalArgumentException("base model " + name + "@" + v + " takes " + shape.height() + "x"
                    + shape.width() + " inputs; leave inputHeight/inputWidth out or use those");
        }
        if (manifest.base() == null) {
            throw new IllegalArgumentException("base model " + name + "@" + v + " records no base lineage to cut at");
        }
        try {
            ComputationGraph graph = NetworkFiles.restore(store.verify(manifest), false);
            String lineage = manifest.base().architecture();
            Architecture architecture = Architecture.KERAS_ID.equals(lineage) ? null : Architecture.parse(lineage);
            return new Base(graph, architecture, manifest.base().featureLayer(), shape, "model:" + name + "@" + v,
                    manifest.preprocessingMode());
        } catch (IOException e) {
            throw new IllegalStateException("cannot load base model " + name + "@" + v + ": " + e.getMessage(), e);
        }
    }

    /**
     * The zoo's download has no timeout of its own, so it runs on a daemon thread we can give up on;
     * offline, the message says which file to put where.
     */
    private ComputationGraph pretrained(Architecture architecture, ZooModel<?> zoo) {
        if (!zoo.pretrainedAvailable(PretrainedType.IMAGENET)) {
            throw new IllegalArgumentException("the DL4J zoo has no imagenet weights for " + architecture.id());
        }
        ExecutorService download = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "zoo-download-" + architecture.id());
            thread.setDaemon(true);
            return thread;
        });
        try {
            Future<Model> model = download.submit(() -> zoo.initPretrained(PretrainedType.IMAGENET));
            return (ComputationGraph) model.get(downloadTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(missingWeights(architecture, zoo, String.valueOf(e.getCause())), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(missingWeights(architecture, zoo, "no download within " + downloadTimeout), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading imagenet weights for " + architecture.id(), e);
        } finally {
            download.shutdownNow();
        }
    }

    private static String missingWeights(Architecture architecture, ZooModel<?> zoo, String cause) {
        String url = zoo.pretrainedUrl(PretrainedType.IMAGENET);
        String file = url.substring(url.lastIndexOf('/') + 1);
        File folder = DL4JResources.getDirectory(ResourceType.ZOO_MODEL, zoo.modelName());
        return "imagenet weights for " + architecture.id() + " are not available (" + cause + "). Download " + url
                + " and put " + file + " in " + folder + " (folder set by graft.zoo.cache-dir), or set graft.zoo.mirror"
                + " to a mirror that serves it";
    }
}
