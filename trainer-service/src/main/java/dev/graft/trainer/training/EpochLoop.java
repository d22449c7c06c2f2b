package dev.graft.trainer.training;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The epochs of one phase on a network whose inputs are images or cached features, from where its
 * {@link Progress} says: shuffled batches, scores after each epoch, the phase's best weights, early
 * stopping with patience, a checkpoint per epoch, and a stop between batches when asked. Each epoch
 * shuffles with its own seed, so a resumed phase sees the batches an uninterrupted one would have.
 */
public final class EpochLoop {
    /** Training images scored for the train metric in end-to-end phases (all of them on cached features). */
    static final int TRAIN_METRIC_SAMPLE = 2000;
    private static final int INFERENCE_BATCH = 64;

    /** @param improved whether the phase beat every earlier one: the network then holds its best epoch's weights */
    record Result(Progress progress, boolean improved) {
    }

    private final TrainingPlan plan;
    private final Evaluator evaluator;
    private final RecipeListener listener;
    private final StopCheck stops;
    private final Checkpoint checkpoint;
    private final ImageSets images;
    private final Eta eta;
    private final long[] trainMetricRows;

    EpochLoop(TrainingPlan plan, Evaluator evaluator, RecipeListener listener, Checkpoint checkpoint, ImageSets images) {
        this.plan = plan;
        this.evaluator = evaluator;
        this.listener = listener;
        this.stops = new StopCheck(listener);
        this.checkpoint = checkpoint;
        this.images = images;
        this.eta = new Eta(plan, images);
        int n = (int) images.trainImages().size(0);
        this.trainMetricRows = shuffled(n, new Random(plan.seed())).subList(0, Math.min(n, TRAIN_METRIC_SAMPLE)).stream()
                .sorted().mapToLong(Integer::longValue).toArray();
    }

    StopCheck stops() {
        return stops;
    }

    /**
     * Runs {@code phase}'s epochs after those {@code progress} has done ({@code phaseBestParams}: its best
     * weights so far, null before its first epoch). {@code endToEnd}: the inputs are images, so the
     * train metric is taken on a sample and augmentation applies.
     */
    Result run(ComputationGraph network, TrainingPlan.Phase phase, INDArray trainInputs, INDArray validationInputs,
               boolean endToEnd, Progress progress, INDArray phaseBestParams) {
        listener.phaseStarted(phase.name());
        Progress.InPhase resumedAt = progress.loop();
        Progress.InPhase at = resumedAt;
        INDArray bestParams = phaseBestParams;
        for (int epoch = at.epochsDone() + 1; epoch <= phase.epochs(); epoch++) {
            long start = System.nanoTime();
            int epochsThisRun = epoch - resumedAt.epochsDone() - 1;
            // the mean epoch of this run, to judge at shutdown whether the one under way ends within the grace
            double meanEpochSeconds = epochsThisRun == 0 ? Double.NaN
                    : (at.secondsSoFar() - resumedAt.secondsSoFar()) / epochsThisRun;
            double learningRate = phase.learningRate(epoch);
            if (phase.schedule() != LearningRateSchedule.CONSTANT) {
                network.setLearningRate(learningRate);
            }
            double trainLoss = trainEpoch(network, phase, epoch, trainInputs, endToEnd, meanEpochSeconds, start);
            double trainSeconds = seconds(start);
            Evaluator.Scores trainScores = endToEnd
                    ? evaluator.score(output(network, trainInputs.get(NDArrayIndex.indices(trainMetricRows))),
                    images.trainLabels().get(NDArrayIndex.indices(trainMetricRows)))
                    : evaluator.score(output(network, trainInputs), images.trainLabels());
            long validationStart = System.nanoTime();
            Evaluator.Scores scores = evaluator.score(output(network, validationInputs), images.validationLabels());
            if (endToEnd && Double.isNaN(progress.forwardSecondsPerImage())) {
                progress = progress.withForwardSecondsPerImage(seconds(validationStart) / validationInputs.size(0));
            }
            double epochSeconds = seconds(start);
            double phaseSeconds = at.secondsSoFar() + epochSeconds;
            EpochResult result = new EpochResult(phase.name(), epoch, phase.epochs(), trainLoss,
                    evaluator.metricName(), trainScores.metric(), scores.loss(), scores.metric(), scores.rmse(),
                    trainInputs.size(0) / trainSeconds, epochSeconds,
                    eta.seconds(phase, epoch, phaseSeconds, progress.forwardSecondsPerImage()), learningRate);
            if (!Double.isFinite(result.trainLoss()) || !Double.isFinite(result.validationLoss())) {
                throw new IllegalStateException("training diverged: the loss is not a number in the " + phase.name()
                        + " phase, epoch " + epoch + "; lower its learning rate");
            }
            progress = progress.withEpoch(result);
            listener.epoch(result);

            Progress.InPhase before = at;
            at = at.after(epoch, scores.loss(), epochSeconds);
            if (at.improvedOn(before)) {
                bestParams = network.params().dup();
                if (beats(scores.loss(), progress.bestLoss())) {
                    progress = progress.withBest(new TrainingReport.BestEpoch(phase.name(), epoch, scores.loss()));
                }
            }
            boolean stopEarly = at.patienceRunOut(plan.patience()) && epoch < phase.epochs();
            if (stopEarly) {
                progress = progress.withStoppedEarly(phase.name(), epoch);
                at = at.asPhaseEnd(phase.epochs());
            }
            progress = progress.inPhase(at);
            if (stops.stopping() && at.epochsDone() < phase.epochs()) {
                checkpoint.saveEpochNow(phase.name(), at.epochsDone(), network, bestParams, progress);
                throw new TrainingStoppedException("the trainer stopped after " + phase.name() + " epoch "
                        + at.epochsDone() + ", kept as a checkpoint");
            }
            checkpoint.saveEpoch(phase.name(), at.epochsDone(), network, bestParams, progress);
            if (stopEarly) {
                break;
            }
        }
        if (!beats(at.phaseBest(), progress.bestLoss())) {
            return new Result(progress, false);
        }
        network.setParams(bestParams);
        return new Result(progress.withBestLoss(at.phaseBest()), true);
    }

    /** One pass over the shuffled training inputs; returns the mean training loss. */
    private double trainEpoch(ComputationGraph network, TrainingPlan.Phase phase, int epoch, INDArray trainInputs,
                              boolean endToEnd, double meanEpochSeconds, long start) {
        int n = (int) trainInputs.size(0);
        boolean augment = endToEnd && plan.augmentation() != null;
        Random random = new Random(plan.seed() + 31L * phase.name().hashCode() + epoch);
        List<Integer> order = shuffled(n, random);
        double lossSum = 0;
        for (int from = 0; from < n; from += phase.batchSize()) {
            stops.beforeBatch(phase.name(), epoch, meanEpochSeconds, seconds(start));
            long[] rows = order.subList(from, Math.min(n, from + phase.batchSize())).stream()
                    .mapToLong(Integer::longValue).toArray();
            INDArray inputs = trainInputs.get(NDArrayIndex.indices(rows));
            if (augment) {
                inputs = plan.augmentation().apply(inputs, random);
            }
            network.fit(new MultiDataSet(inputs, images.trainLabels().get(NDArrayIndex.indices(rows))));
            lossSum += network.score() * rows.length;
        }
        return lossSum / n;
    }

    /** Records a phase's wall time (with the seconds it ran before a restart) for the report and the listener. */
    Progress ended(Progress progress, String phase, double seconds) {
        listener.phaseEnded(phase, seconds);
        return progress.withPhaseSeconds(phase, seconds);
    }

    /**
     * Whether a phase's best validation loss beats an earlier phase's: by more than float rounding, which
     * differs between the whole network and the cached part of it that computed the two.
     */
    private static boolean beats(double loss, double earlier) {
        return Double.isInfinite(earlier) ? loss < earlier : loss < earlier - 1e-6 * Math.abs(earlier);
    }

    /** Inference in bounded batches, so validation memory does not grow with the validation set. */
    public static INDArray output(ComputationGraph graph, INDArray features) {
        int n = (int) features.size(0);
        List<INDArray> parts = new ArrayList<>();
        for (int from = 0; from < n; from += INFERENCE_BATCH) {
            parts.add(graph.output(false, features.get(NDArrayIndex.interval(from, Math.min(n, from + INFERENCE_BATCH))))[0]);
        }
        return Nd4j.concat(0, parts.toArray(INDArray[]::new));
    }

    static List<Integer> shuffled(int n, Random random) {
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        return order;
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
