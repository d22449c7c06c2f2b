package dev.graft.trainer.training;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYLineAnnotation;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** PNG charts of a training, drawn with JFreeChart: the seeds' curves, a confusion matrix, residuals. */
public final class Charts {
    public static final String CURVES = "curves.png";
    public static final String CONFUSION = "confusion.png";
    public static final String RESIDUALS = "residuals.png";
    private static final Color TRAIN = new Color(0x1f77b4);
    private static final Color VALIDATION = new Color(0xff7f0e);

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** Writes the charts that apply to {@code report} into {@code dir}; returns their file names. */
    public static List<String> write(TrainingReport report, double[][] predictedVsActual, Path dir) throws IOException {
        List<String> files = new ArrayList<>();
        if (!report.history().isEmpty()) {
            ChartUtils.saveChartAsPNG(dir.resolve(CURVES).toFile(), curves(report), 900, 640);
            files.add(CURVES);
        }
        if (report.confusionMatrix() != null) {
            int size = Math.max(420, 120 + 56 * report.labels().size());
            ChartUtils.saveChartAsPNG(dir.resolve(CONFUSION).toFile(), confusion(report), size + 120, size);
            files.add(CONFUSION);
        }
        if (predictedVsActual != null) {
            ChartUtils.saveChartAsPNG(dir.resolve(RESIDUALS).toFile(), residuals(report, predictedVsActual), 640, 640);
            files.add(RESIDUALS);
        }
        return files;
    }

    /** Loss and the task metric per epoch, train and validation, with a marker where fine-tuning starts. */
    static JFreeChart curves(TrainingReport report) {
        List<EpochResult> history = report.history();
        String metric = history.get(0).metric();
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("epoch (both phases)"));
        plot.add(linePlot("loss", history, EpochResult::trainLoss, EpochResult::validationLoss), 1);
        plot.add(linePlot(metric, history, EpochResult::trainMetric, EpochResult::validationMetric), 1);
        ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        for (int i = 1; i < history.size(); i++) {
            if (!history.get(i).phase().equals(history.get(i - 1).phase())) {
                for (Object sub : plot.getSubplots()) {
                    ValueMarker marker = new ValueMarker(i + 0.5, Color.GRAY, new BasicStroke(1f));
                    marker.setLabel(history.get(i).phase());
                    marker.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
                    marker.setLabelTextAnchor(TextAnchor.TOP_LEFT);
                    ((XYPlot) sub).addDomainMarker(marker);
                }
            }
        }
        JFreeChart chart = new JFreeChart(report.model() + ": loss and " + metric + " per epoch",
                JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static XYPlot linePlot(String name, List<EpochResult> history, ToDoubleFunction<EpochResult> train,
                                   ToDoubleFunction<EpochResult> validation) {
        XYSeries trainSeries = new XYSeries("train " + name);
        XYSeries validationSeries = new XYSeries("validation " + name);
        for (int i = 0; i < history.size(); i++) {
            trainSeries.add(i + 1, train.applyAsDouble(history.get(i)));
            validationSeries.add(i + 1, validation.applyAsDouble(history.get(i)));
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(trainSeries);
        data.addSeries(validationSeries);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setSeriesPaint(0, TRAIN);
        renderer.setSeriesPaint(1, VALIDATION);
        NumberAxis axis = new NumberAxis(name);
        axis.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, null, axis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }

    /** Counts per (true, predicted) label, shaded by the share of the true label's images. */
    static JFreeChart confusion(TrainingReport report) {
        int[][] counts = report.confusionMatrix();
        int k = counts.length;
        double[] xs = new double[k * k];
        double[] ys = new double[k * k];
        double[] zs = new double[k * k];
        XYPlot plot = new XYPlot();
        for (int actual = 0; actual < k; actual++) {
            int rowTotal = 0;
            for (int count : counts[actual]) {
                rowTotal += count;
            }
            for (int predicted = 0; predicted < k; predicted++) {
                int i = actual * k + predicted;
                xs[i] = predicted;
                ys[i] = k - 1 - actual; // first label on top
                zs[i] = rowTotal == 0 ? 0 : (double) counts[actual][predicted] / rowTotal;
                XYTextAnnotation text = new XYTextAnnotation(Integer.toString(counts[actual][predicted]), xs[i], ys[i]);
                text.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
                text.setPaint(zs[i] > 0.5 ? Color.WHITE : Color.BLACK);
                plot.addAnnotation(text);
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("share", new double[][]{xs, ys, zs});
        String[] labels = report.labels().toArray(String[]::new);
        String[] reversed = new String[k];
        for (int i = 0; i < k; i++) {
            reversed[i] = labels[k - 1 - i];
        }
        SymbolAxis predictedAxis = new SymbolAxis("predicted", labels);
        predictedAxis.setVerticalTickLabels(true);
        plot.setDataset(data);
        plot.setDomainAxis(predictedAxis);
        plot.setRangeAxis(new SymbolAxis("true", reversed));
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(new BlueScale());
        plot.setRenderer(renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        JFreeChart chart = new JFreeChart(report.model() + ": validation confusion matrix", JFreeChart.DEFAULT_TITLE_FONT,
                plot, false);
        chart.addSubtitle(new TextTitle("accuracy " + String.format("%.3f", report.finalMetrics().get("accuracy"))));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Predicted against true values on validation, with the line of perfect predictions. */
    static JFreeChart residuals(TrainingReport report, double[][] predictedVsActual) {
        XYSeries points = new XYSeries("validation images", false);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < predictedVsActual[0].length; i++) {
            double predicted = predictedVsActual[0][i];
            double actual = predictedVsActual[1][i];
            points.add(actual, predicted);
            min = Math.min(min, Math.min(actual, predicted));
            max = Math.max(max, Math.max(actual, predicted));
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        renderer.setSeriesPaint(0, new Color(31, 119, 180, 120));
        NumberAxis x = new NumberAxis("true");
        NumberAxis y = new NumberAxis("predicted");
        x.setAutoRangeIncludesZero(false);
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(new XYSeriesCollection(points), x, y, renderer);
        plot.addAnnotation(new XYLineAnnotation(min, min, max, max, new BasicStroke(1f), Color.GRAY));
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(report.model() + ": predicted vs true (validation)", JFreeChart.DEFAULT_TITLE_FONT,
                plot, false);
        chart.addSubtitle(new TextTitle(String.format("MAE %.2f, RMSE %.2f, R\u00b2 %.3f", report.residuals().get("mae"),
                report.residuals().get("rmse"), report.residuals().get("r2"))));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** White (0) to dark blue (1). */
    private static final class BlueScale implements PaintScale {
        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return 1;
        }

        @Override
        public Paint getPaint(double value) {
            double v = Math.max(0, Math.min(1, value));
            return new Color((int) (255 - 224 * v), (int) (255 - 178 * v), (int) (255 - 75 * v));
        }
    }
}
