package io.tapstack.examples.lab;

import io.tapstack.dev.Impairment;
import io.tapstack.dev.RateLimit;
import io.tapstack.tcp.CongestionAlgorithm;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpInfo;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.tapstack.examples.lab.LabBench.B;
import static io.tapstack.examples.lab.LabBench.MS;
import static io.tapstack.examples.lab.LabBench.SECOND;

/** The labs of a bottleneck: congestion control side by side, and the window that fills a long fat pipe. */
final class CongestionLabs
{
    private CongestionLabs()
    {
    }

    /** {@code tcp-congestion}: each congestion control the stack has, alone on a 10 Mbit/s bottleneck. */
    static final class Congestion implements Lab
    {
        static final long RUN_NS = 8 * SECOND;

        @Override
        public String name()
        {
            return "tcp-congestion";
        }

        @Override
        public String summary()
        {
            return "cwnd over 8 s on a 10 Mbit/s link with a 30-frame queue, for each congestion control, side by side";
        }

        @Override
        public Result run(final Path dir, final PrintStream out) throws IOException
        {
            final List<XYPlot> plots = new ArrayList<>();
            boolean ok = true;
            for (final CongestionAlgorithm algorithm : CongestionAlgorithm.values())
            {
                final String run = name() + "-" + algorithm.name().toLowerCase(Locale.ROOT).replace('_', '-');
                final Bulk.Sink sink = new Bulk.Sink();
                final Bulk.Source source = new Bulk.Source(Long.MAX_VALUE, false);
                final TcpInfo info = new TcpInfo();
                final Impairment bottleneck = Impairment.NONE.withRate(RateLimit.of(10_000_000L)
                    .withLimit(30 * 1514));
                try (LabBench bench = LabBench.builder(dir, run).latencyNs(10 * MS).aToB(bottleneck)
                    .tcpA(t -> t.congestionControl(algorithm)).build())
                {
                    bench.b.tcp().listen(5001, l -> l.accept().handler(sink));
                    final TcpConnection client = bench.a.tcp().connect(B, 5001, source, bench.nowNs());
                    bench.sample(bench.a, client, "", 10 * MS);
                    bench.runFor(RUN_NS);
                    info.capture(client, bench.nowNs());
                    out.printf("%-9s %5.2f Mbit/s of payload over %.0f s, %d frames dropped by the queue, "
                            + "%d retransmissions, cwnd now %d kB%n", algorithm, sink.received * 8 / (RUN_NS / 1e9)
                            / 1e6, RUN_NS / 1e9, bench.losses().size(), info.retransmitsTotal(),
                        info.cwnd() / 1000);
                    ok &= bench.losses().size() > 0 && sink.received > 5_000_000;
                }
                final Csv csv = Csv.read(dir.resolve(run + ".csv"));
                final List<LabBench.Loss> losses = LabBench.readLosses(dir.resolve(run + ".losses.csv"));
                Charts.save(Charts.tcpChart(run + ": 10 Mbit/s, 10 ms each way, a 30-frame queue", csv, losses,
                    "cwnd", "ssthresh", "bytes_in_flight"), dir, run);
                plots.add(Charts.windowsPlot(csv, losses, algorithm + ": time (s)", "cwnd", "ssthresh"));
            }
            final int points = Charts.save(Charts.sideBySide("tcp-congestion: cwnd of each congestion control on "
                + "the same bottleneck (10 Mbit/s, 20 ms RTT, 30-frame queue)", plots), dir, name());
            return new Result(ok, points);
        }
    }

    /** {@code bandwidth-delay}: goodput against the receive window on a 10 Mbit/s, 50 ms link. */
    static final class BandwidthDelay implements Lab
    {
        static final int[] WINDOWS = {8192, 16384, 32768, 65536, 131072};
        static final long RATE = 10_000_000L;
        static final long RTT_NS = 50 * MS;
        static final long RUN_NS = 4 * SECOND;
        static final long MEASURE_FROM_NS = 2 * SECOND;

        @Override
        public String name()
        {
            return "bandwidth-delay";
        }

        @Override
        public String summary()
        {
            return "10 Mbit/s, 50 ms RTT: goodput for receive windows of 8 to 128 KB against the 62.5 KB product";
        }

        @Override
        public Result run(final Path dir, final PrintStream out) throws IOException
        {
            final double[] mbps = new double[WINDOWS.length];
            final double[] srttMs = new double[WINDOWS.length];
            Files.createDirectories(dir);
            for (int i = 0; i < WINDOWS.length; i++)
            {
                final int window = WINDOWS[i];
                final String run = name() + "-" + window / 1024 + "k";
                final Bulk.Sink sink = new Bulk.Sink();
                final Bulk.Source source = new Bulk.Source(Long.MAX_VALUE, false);
                // a queue that holds 200 ms at the rate: nothing is lost, too much window waits in it instead
                final Impairment bottleneck = Impairment.NONE.withRate(RateLimit.of(RATE).withLatencyNs(200 * MS));
                try (LabBench bench = LabBench.builder(dir, run).latencyNs(RTT_NS / 2).aToB(bottleneck)
                    .tcpB(t -> t.receiveBufferBytes(window).receiveBufferMaxBytes(window)).build())
                {
                    bench.b.tcp().listen(5001, l -> l.accept().handler(sink));
                    final TcpConnection client = bench.a.tcp().connect(B, 5001, source, bench.nowNs());
                    bench.sample(bench.a, client, "", 10 * MS);
                    bench.runFor(MEASURE_FROM_NS);
                    final long before = sink.received;
                    bench.runFor(RUN_NS - MEASURE_FROM_NS);
                    mbps[i] = (sink.received - before) * 8 / ((RUN_NS - MEASURE_FROM_NS) / 1e9) / 1e6;
                    srttMs[i] = new TcpInfo().capture(client, bench.nowNs()).srttNs() / 1e6;
                }
                out.printf("window %6d bytes: %5.2f Mbit/s of payload, SRTT %5.1f ms%n", window, mbps[i], srttMs[i]);
            }
            try (Writer csv = Files.newBufferedWriter(dir.resolve(name() + ".csv"), StandardCharsets.UTF_8))
            {
                csv.write("receive_window_bytes,goodput_mbit_s,srtt_ms,bdp_bytes\n");
                for (int i = 0; i < WINDOWS.length; i++)
                {
                    csv.write(WINDOWS[i] + "," + String.format(Locale.ROOT, "%.3f", mbps[i]) + ","
                        + String.format(Locale.ROOT, "%.3f", srttMs[i]) + "," + bdpBytes() + "\n");
                }
            }
            out.printf("the bandwidth-delay product: %d bit/s x %d ms = %d bytes%n", RATE, RTT_NS / MS, bdpBytes());
            final Csv csv = Csv.read(dir.resolve(name() + ".csv"));
            final XYSeries goodput = Charts.series("goodput (Mbit/s)", csv, "receive_window_bytes", "goodput_mbit_s",
                1.0);
            final XYSeries limit = new XYSeries("min(window / RTT, 10 Mbit/s)", true, true);
            for (final int window : WINDOWS)
            {
                limit.add(window, Math.min(RATE / 1e6, window * 8 / (RTT_NS / 1e9) / 1e6));
            }
            final ValueMarker bdp = new ValueMarker(bdpBytes());
            bdp.setLabel("bandwidth x delay");
            final int points = Charts.save(Charts.xyChart("bandwidth-delay: goodput by receive window "
                    + "(10 Mbit/s, 50 ms RTT)", "receive window (bytes)", "Mbit/s", true, List.of(goodput, limit),
                List.of(bdp)), dir, name());
            // below the product the window limits (about window / RTT); above it the link does (near 10 Mbit/s)
            final boolean ok = mbps[0] < 1.5 && mbps[WINDOWS.length - 1] > 8.5;
            return new Result(ok, points);
        }

        static long bdpBytes()
        {
            return RATE / 8 * RTT_NS / SECOND;
        }
    }
}
