package org.selectivbench.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's plots: one XY chart per view, series by model, written as PNG. */
final class Charts {
    /** One point of a series. */
    record Point(String series, double x, double y) {
    }

    private Charts() {
    }

    /**
     * Writes a line (or scatter) chart of the points, one series per name, and returns the file
     * name; returns null when there is nothing to draw, so that no empty chart is ever written.
     */
    static String write(Path dir, String file, String title, String xTitle, String yTitle, List<Point> points,
                        boolean scatter, boolean logX) throws IOException {
        Map<String, TreeMap<Double, Double>> series = new TreeMap<>();
        for (Point p : points) {
            if (Double.isFinite(p.x()) && Double.isFinite(p.y()) && (!logX || p.x() > 0)) {
                series.computeIfAbsent(p.series(), k -> new TreeMap<>()).put(p.x(), p.y());
            }
        }
        if (series.isEmpty()) {
            return null;
        }
        XYChart chart = new XYChartBuilder().width(900).height(480).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        Styler s = chart.getStyler();
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        s.setPlotBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setMarkerSize(7);
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setDefaultSeriesRenderStyle(scatter
                ? org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter
                : org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Line);
        for (Map.Entry<String, TreeMap<Double, Double>> e : series.entrySet()) {
            double[] x = e.getValue().keySet().stream().mapToDouble(Double::doubleValue).toArray();
            double[] y = e.getValue().values().stream().mapToDouble(Double::doubleValue).toArray();
            chart.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        String name = file.endsWith(".png") ? file.substring(0, file.length() - 4) : file;
        BitmapEncoder.saveBitmap(chart, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        return name + ".png";
    }
}
