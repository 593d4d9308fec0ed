package io.tapstack.examples.lab;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Rectangle;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The labs' charts, drawn with JFreeChart from the CSV files the labs write, saved as PNG and SVG (JFreeSVG renders
 * the same drawing). A TCP chart has the windows in kB over time on top (cwnd, ssthresh, bytes in flight, the peer's
 * window: whichever the lab asks for), each retransmission as a mark shaped by its cause at the cwnd of its moment,
 * each lost frame as a red cross on the time axis, and SRTT and RTO in ms below.
 */
final class Charts
{
    static final int WIDTH = 1000;
    static final int HEIGHT = 640;

    /** The retransmission causes a chart tells apart, from the CSV's {@code cause} (TcpEventListener reasons). */
    private static final Map<String, String> CAUSES = new LinkedHashMap<>();

    static
    {
        CAUSES.put("fast-retransmit", "fast retransmit");
        CAUSES.put("partial-ack", "fast retransmit");
        CAUSES.put("sack", "fast retransmit");
        CAUSES.put("rescue", "fast retransmit");
        CAUSES.put("rack", "RACK");
        CAUSES.put("tlp", "tail loss probe");
        CAUSES.put("tlp-new-data", "tail loss probe");
        CAUSES.put("rto", "RTO");
        CAUSES.put("syn-timeout", "SYN timeout");
        CAUSES.put("zero-window-probe", "zero-window probe");
    }

    /** One colour per quantity and per mark, the same on every chart, so side-by-side plots read alike. */
    private static final Map<String, Color> COLORS = Map.ofEntries(
        Map.entry("cwnd", new Color(0xD62728)), Map.entry("ssthresh", new Color(0x1F77B4)),
        Map.entry("bytes in flight", new Color(0x2CA02C)), Map.entry("peer window", new Color(0xFF7F0E)),
        Map.entry("receive window", new Color(0x9467BD)), Map.entry("SRTT", new Color(0x17BECF)),
        Map.entry("RTO", new Color(0x7F7F7F)), Map.entry("fast retransmit", new Color(0xFF7F0E)),
        Map.entry("RACK", new Color(0x006400)), Map.entry("tail loss probe", new Color(0x1F77B4)),
        Map.entry("zero-window probe", Color.BLACK), Map.entry("SYN timeout", new Color(0x8C564B)),
        Map.entry("lost frame", Color.RED));

    private Charts()
    {
    }

    /** A line series from two columns of a CSV (rows whose y is empty are skipped); {@code scale} divides y. */
    static XYSeries series(final String name, final Csv csv, final String x, final String y, final double scale)
    {
        final XYSeries series = new XYSeries(name, true, true);
        for (int i = 0; i < csv.size(); i++)
        {
            final double value = csv.number(i, y);
            if (!Double.isNaN(value))
            {
                series.add(csv.number(i, x), value / scale);
            }
        }
        return series;
    }

    /** The top half of a TCP chart: the named byte columns in kB, retransmissions and losses marked. */
    static XYPlot windowsPlot(final Csv csv, final List<LabBench.Loss> losses, final String axisLabel,
        final String... columns)
    {
        final XYSeriesCollection lines = new XYSeriesCollection();
        for (final String column : columns)
        {
            lines.addSeries(series(column.replace('_', ' '), csv, "time_s", column, 1000.0));
        }
        final XYPlot plot = new XYPlot(lines, new NumberAxis(axisLabel), new NumberAxis("kB"),
            new XYLineAndShapeRenderer(true, false));
        ((XYLineAndShapeRenderer)plot.getRenderer()).setDefaultStroke(new BasicStroke(1.5f));

        final XYSeriesCollection marks = new XYSeriesCollection();
        final Map<String, XYSeries> byCause = new LinkedHashMap<>();
        for (final String label : CAUSES.values())
        {
            byCause.computeIfAbsent(label, l -> new XYSeries(l, true, true));
        }
        for (int i = 0; i < csv.size(); i++)
        {
            if ("retransmit".equals(csv.text(i, "event")))
            {
                final String cause = csv.text(i, "cause");
                final String label = CAUSES.getOrDefault(cause, cause);
                // a retransmission sits on the cwnd of its moment; a zero-window probe on the window it probes
                final String y = "zero-window-probe".equals(cause) ? "peer_window" : "cwnd";
                byCause.computeIfAbsent(label, l -> new XYSeries(l, true, true))
                    .add(csv.number(i, "time_s"), csv.number(i, y) / 1000.0);
            }
        }
        final XYSeries lost = new XYSeries("lost frame", true, true);
        for (final LabBench.Loss loss : losses)
        {
            lost.add(loss.seconds(), 0.0);
        }
        byCause.values().stream().filter(s -> s.getItemCount() > 0).forEach(marks::addSeries);
        if (lost.getItemCount() > 0)
        {
            marks.addSeries(lost);
        }
        final XYLineAndShapeRenderer markRenderer = new XYLineAndShapeRenderer(false, true);
        for (int s = 0; s < marks.getSeriesCount(); s++)
        {
            final boolean isLoss = marks.getSeries(s) == lost;
            markRenderer.setSeriesShape(s, isLoss ? cross(5) : shape(s));
            if (isLoss)
            {
                markRenderer.setSeriesPaint(s, Color.RED);
            }
        }
        plot.setDataset(1, marks);
        plot.setRenderer(1, markRenderer);
        style(plot);
        return plot;
    }

    /** The bottom half of a TCP chart: SRTT and RTO in ms. */
    static XYPlot timersPlot(final Csv csv)
    {
        final XYSeriesCollection lines = new XYSeriesCollection();
        lines.addSeries(series("SRTT", csv, "time_s", "srtt_ms", 1.0));
        lines.addSeries(series("RTO", csv, "time_s", "rto_ms", 1.0));
        final XYPlot plot = new XYPlot(lines, new NumberAxis("time (s)"), new NumberAxis("ms"),
            new XYLineAndShapeRenderer(true, false));
        style(plot);
        return plot;
    }

    /** A TCP chart: windows with marks above, timers below, one time axis. */
    static JFreeChart tcpChart(final String title, final Csv csv, final List<LabBench.Loss> losses,
        final String... columns)
    {
        final CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("time (s)"));
        plot.add(windowsPlot(csv, losses, "time (s)", columns), 3);
        plot.add(timersPlot(csv), 1);
        plot.setGap(8);
        return new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    }

    /** Plots side by side with one kB axis (e.g. one per congestion control). */
    static JFreeChart sideBySide(final String title, final List<XYPlot> plots)
    {
        final CombinedRangeXYPlot plot = new CombinedRangeXYPlot(new NumberAxis("kB"));
        for (final XYPlot p : plots)
        {
            plot.add(p, 1);
        }
        plot.setGap(12);
        return new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    }

    /** A plain chart of points joined by lines (or not), with horizontal or vertical markers. */
    static JFreeChart xyChart(final String title, final String xLabel, final String yLabel, final boolean joined,
        final List<XYSeries> series, final List<ValueMarker> domainMarkers)
    {
        final XYSeriesCollection data = new XYSeriesCollection();
        series.forEach(data::addSeries);
        final XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(joined, true);
        for (int s = 0; s < series.size(); s++)
        {
            renderer.setSeriesShape(s, shape(s));
        }
        final XYPlot plot = new XYPlot(data, new NumberAxis(xLabel), new NumberAxis(yLabel), renderer);
        domainMarkers.forEach(plot::addDomainMarker);
        style(plot);
        return new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    }

    /** Points in every dataset of every plot of {@code chart}: what a test checks a chart shows. */
    static int points(final JFreeChart chart)
    {
        int points = 0;
        final List<XYPlot> plots = chart.getPlot() instanceof CombinedDomainXYPlot c ? c.getSubplots()
            : chart.getPlot() instanceof CombinedRangeXYPlot r ? r.getSubplots() : List.of((XYPlot)chart.getPlot());
        for (final XYPlot plot : plots)
        {
            for (int d = 0; d < plot.getDatasetCount(); d++)
            {
                final XYDataset data = plot.getDataset(d);
                for (int s = 0; data != null && s < data.getSeriesCount(); s++)
                {
                    points += data.getItemCount(s);
                }
            }
        }
        return points;
    }

    /** Writes {@code DIR/NAME.png} and {@code DIR/NAME.svg}; returns the number of points drawn. */
    static int save(final JFreeChart chart, final Path dir, final String name) throws IOException
    {
        ChartUtils.saveChartAsPNG(dir.resolve(name + ".png").toFile(), chart, WIDTH, HEIGHT);
        final SVGGraphics2D svg = new SVGGraphics2D(WIDTH, HEIGHT);
        chart.draw(svg, new Rectangle(0, 0, WIDTH, HEIGHT));
        Files.writeString(dir.resolve(name + ".svg"), svg.getSVGDocument(), StandardCharsets.UTF_8);
        return points(chart);
    }

    private static void style(final XYPlot plot)
    {
        for (int d = 0; d < plot.getDatasetCount(); d++)
        {
            final XYDataset data = plot.getDataset(d);
            for (int s = 0; data != null && plot.getRenderer(d) != null && s < data.getSeriesCount(); s++)
            {
                final Color color = COLORS.get(String.valueOf(data.getSeriesKey(s)));
                if (color != null)
                {
                    plot.getRenderer(d).setSeriesPaint(s, color);
                }
            }
        }
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        ((NumberAxis)plot.getRangeAxis()).setAutoRangeIncludesZero(true);
    }

    private static Shape shape(final int index)
    {
        return switch (index % 4)
        {
            case 0 -> new Ellipse2D.Double(-4, -4, 8, 8);
            case 1 -> new Rectangle2D.Double(-4, -4, 8, 8);
            case 2 -> triangle(5);
            default -> diamond(5);
        };
    }

    private static Shape triangle(final double r)
    {
        final Path2D.Double p = new Path2D.Double();
        p.moveTo(0, -r);
        p.lineTo(r, r);
        p.lineTo(-r, r);
        p.closePath();
        return p;
    }

    private static Shape diamond(final double r)
    {
        final Path2D.Double p = new Path2D.Double();
        p.moveTo(0, -r);
        p.lineTo(r, 0);
        p.lineTo(0, r);
        p.lineTo(-r, 0);
        p.closePath();
        return p;
    }

    private static Shape cross(final double r)
    {
        final Path2D.Double p = new Path2D.Double();
        p.moveTo(-r, -r);
        p.lineTo(r, r);
        p.moveTo(-r, r);
        p.lineTo(r, -r);
        return new BasicStroke(2f).createStrokedShape(p);
    }
}
