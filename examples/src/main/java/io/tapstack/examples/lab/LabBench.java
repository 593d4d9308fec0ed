package io.tapstack.examples.lab;

import io.tapstack.NetStack;
import io.tapstack.Simulation;
import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.dev.MemoryLink;
import io.tapstack.tcp.TcpConfig;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpEventListener;
import io.tapstack.time.ManualClock;
import io.tapstack.trace.FrameDescriber;
import io.tapstack.trace.FrameTrace;
import io.tapstack.trace.PcapWriter;
import io.tapstack.trace.TcpSampler;
import io.tapstack.trace.TeeObserver;
import io.tapstack.wire.Ipv4Address;
import org.agrona.DirectBuffer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One lab's world: stack A (10.0.0.1) and stack B (10.0.0.2) in this process, joined by an in-memory link with a
 * one-way delay, each direction optionally impaired (a rate limit with a bounded queue, seeded loss, a scripted
 * {@link LossWatch.DropRule}), run in simulated time ({@link Simulation}: the clock jumps to the next deadline or
 * frame, so seconds of TCP run in milliseconds and the same way every time). Every frame on the link goes to
 * {@code NAME.pcap} and, in tcpdump's words ({@link FrameTrace}, {@link FrameDescriber}), to
 * {@code NAME.trace.txt}, where a frame that never arrived is followed by a {@code [lost ...]} note; TCP
 * connections can be sampled to CSV ({@link TcpSampler}); each lost frame is a row of {@code NAME.losses.csv}.
 * Lab time (the trace's and the CSVs' first column) starts at 0.
 */
final class LabBench implements AutoCloseable
{
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000_000_000L;
    static final int A = Ipv4Address.parse("10.0.0.1");
    static final int B = Ipv4Address.parse("10.0.0.2");
    /** The manual clock's start: any value works; the files count from it. */
    private static final long START_NS = 1_000 * SECOND;
    static final String LOSSES_HEADER = "time_s,from,reason,frame";

    /** A lost frame, for the charts. */
    record Loss(long timeNs, boolean fromA, String reason)
    {
        double seconds()
        {
            return timeNs / 1e9;
        }
    }

    final ManualClock clock = new ManualClock(START_NS);
    final MemoryLink link;
    final NetStack a;
    final NetStack b;
    final ImpairedDevice bottleneckA;
    final Path dir;
    final String name;
    private final Simulation simulation;
    private final Writer traceOut;
    private final FrameTrace trace;
    private final PcapWriter pcap;
    private final Writer lossesOut;
    private final List<Loss> losses = new ArrayList<>();
    private final List<TcpSampler> samplers = new ArrayList<>();
    private final Map<NetStack, TcpEventListener> listeners = new HashMap<>();
    private final PriorityQueue<Action> actions = new PriorityQueue<>();
    private final StringBuilder line = new StringBuilder(256);
    private long actionSequence;

    private record Action(long atNs, long sequence, Runnable run) implements Comparable<Action>
    {
        @Override
        public int compareTo(final Action o)
        {
            return atNs != o.atNs ? Long.compare(atNs, o.atNs) : Long.compare(sequence, o.sequence);
        }
    }

    private LabBench(final Builder builder) throws IOException
    {
        this.dir = builder.dir;
        this.name = builder.name;
        Files.createDirectories(dir);
        link = new MemoryLink(clock, builder.latencyNs, 8192, 1514);
        final FrameDevice endA = link.endA();
        bottleneckA = builder.aToB.isNone() ? null
            : ImpairedDevice.builder(endA).seed(builder.seed).transmit(builder.aToB).build();
        final FrameDevice endB = link.endB();
        final ImpairedDevice bottleneckB = builder.bToA.isNone() ? null
            : ImpairedDevice.builder(endB).seed(builder.seed + 1).transmit(builder.bToA).build();
        final FrameDevice deviceA = new LossWatch(bottleneckA != null ? bottleneckA : endA, this, true,
            builder.dropAtoB, bottleneckA);
        final FrameDevice deviceB = new LossWatch(bottleneckB != null ? bottleneckB : endB, this, false,
            builder.dropBtoA, bottleneckB);
        // fixed seeds and secrets: a lab prints the same every time, so a student can compare with the page
        a = new NetStack(builder.configA.apply(new StackConfig().ipAddress("10.0.0.1/24").seed(1)
            .repeatableSecrets(true)), deviceA);
        b = new NetStack(builder.configB.apply(new StackConfig().ipAddress("10.0.0.2/24").seed(2)
            .repeatableSecrets(true)), deviceB);
        simulation = new Simulation(clock, link, a, b);
        pcap = PcapWriter.create(file(".pcap")).timeOffsetNs(-START_NS);
        traceOut = Files.newBufferedWriter(file(".trace.txt"), StandardCharsets.UTF_8);
        trace = FrameTrace.toWriter(traceOut, FrameTrace.TimeFormat.SECONDS, ZoneOffset.UTC).timeOffsetNs(-START_NS);
        link.observer(new TeeObserver(pcap, trace));
        lossesOut = Files.newBufferedWriter(file(".losses.csv"), StandardCharsets.UTF_8);
        lossesOut.write(LOSSES_HEADER + "\n");
    }

    static Builder builder(final Path dir, final String name)
    {
        return new Builder(dir, name);
    }

    /** {@code DIR/NAME} plus {@code suffix}. */
    Path file(final String suffix)
    {
        return dir.resolve(name + suffix);
    }

    long nowNs()
    {
        return clock.nanoTime();
    }

    /** Lab time of the stack time {@code nowNs}: 0 when the lab starts. */
    long labTimeNs(final long nowNs)
    {
        return nowNs - START_NS;
    }

    long labTimeNs()
    {
        return labTimeNs(nowNs());
    }

    /** Runs {@code action} at lab time {@code labNs} (in order of scheduling for equal times). */
    void at(final long labNs, final Runnable action)
    {
        actions.add(new Action(START_NS + labNs, actionSequence++, action));
    }

    /**
     * Samples {@code connection} (of stack {@code on}) into {@code DIR/NAME<suffix>.csv} every {@code intervalNs},
     * and at each of its events; returns the file.
     */
    Path sample(final NetStack on, final TcpConnection connection, final String suffix, final long intervalNs)
        throws IOException
    {
        final Path csv = file(suffix + ".csv");
        final TcpSampler sampler = new TcpSampler(Files.newBufferedWriter(csv, StandardCharsets.UTF_8), intervalNs,
            START_NS);
        sampler.next(listeners.get(on)); // a stack has one listener: samplers chain
        listeners.put(on, sampler);
        on.tcp().eventListener(sampler);
        sampler.watch(connection, nowNs());
        samplers.add(sampler);
        return csv;
    }

    /**
     * Runs both stacks until {@code done} holds or {@code maxNs} of simulated time pass, taking samples and running
     * scheduled actions on the way; returns whether {@code done} holds.
     */
    boolean runUntil(final BooleanSupplier done, final long maxNs)
    {
        final long endNs = nowNs() + maxNs;
        while (!done.getAsBoolean())
        {
            final long now = nowNs();
            if (now >= endNs)
            {
                return false;
            }
            long next = endNs;
            for (final TcpSampler sampler : samplers)
            {
                next = Math.min(next, sampler.nextDeadlineNs());
            }
            if (!actions.isEmpty())
            {
                next = Math.min(next, actions.peek().atNs());
            }
            if (next > now)
            {
                simulation.runUntil(done, next - now);
            }
            final long after = nowNs();
            for (final TcpSampler sampler : samplers)
            {
                sampler.onTime(after);
            }
            while (!actions.isEmpty() && actions.peek().atNs() <= after)
            {
                actions.poll().run().run();
            }
        }
        return true;
    }

    void runFor(final long durationNs)
    {
        runUntil(() -> false, durationNs);
    }

    /** A frame that will not arrive: a note in the trace after its line, a row in the losses CSV. */
    void lost(final boolean fromA, final DirectBuffer frame, final int length, final long nowNs, final String reason)
    {
        final long labNs = labTimeNs(nowNs);
        losses.add(new Loss(labNs, fromA, reason));
        line.setLength(0);
        FrameDescriber.describe(frame, 0, length, line);
        final String seconds = String.format("%d.%06d", labNs / SECOND, labNs % SECOND / 1000);
        try
        {
            // the frame never reached the link, where the trace and the capture sit: the trace gets its line here
            trace.flush();
            traceOut.write(seconds + (fromA ? " Out " : " In ") + line + "\n");
            traceOut.write(seconds + " [" + reason + ": " + (fromA ? "10.0.0.1 -> 10.0.0.2" : "10.0.0.2 -> 10.0.0.1")
                + "]\n");
            lossesOut.write(seconds + "," + (fromA ? "A" : "B") + "," + reason + ",\"" + line + "\"\n");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    List<Loss> losses()
    {
        return losses;
    }

    /** The losses a lab wrote to {@code NAME.losses.csv}. */
    static List<Loss> readLosses(final Path file) throws IOException
    {
        final Csv csv = Csv.read(file);
        final List<Loss> read = new ArrayList<>();
        for (int i = 0; i < csv.size(); i++)
        {
            read.add(new Loss(Math.round(csv.number(i, "time_s") * 1e9), "A".equals(csv.text(i, "from")),
                csv.text(i, "reason")));
        }
        return read;
    }

    @Override
    public void close() throws IOException
    {
        for (final TcpSampler sampler : samplers)
        {
            sampler.close();
        }
        trace.close();
        pcap.close();
        lossesOut.close();
    }

    static final class Builder
    {
        private final Path dir;
        private final String name;
        private long latencyNs = MS;
        private long seed = 7;
        private UnaryOperator<StackConfig> configA = c -> c;
        private UnaryOperator<StackConfig> configB = c -> c;
        private Impairment aToB = Impairment.NONE;
        private Impairment bToA = Impairment.NONE;
        private LossWatch.DropRule dropAtoB;
        private LossWatch.DropRule dropBtoA;

        private Builder(final Path dir, final String name)
        {
            this.dir = dir;
            this.name = name;
        }

        /** One-way delay of the link. */
        Builder latencyNs(final long ns)
        {
            this.latencyNs = ns;
            return this;
        }

        Builder seed(final long seed)
        {
            this.seed = seed;
            return this;
        }

        Builder configA(final UnaryOperator<StackConfig> configA)
        {
            this.configA = configA;
            return this;
        }

        Builder configB(final UnaryOperator<StackConfig> configB)
        {
            this.configB = configB;
            return this;
        }

        /** Adjusts A's TCP settings. */
        Builder tcpA(final Consumer<TcpConfig> tcp)
        {
            final UnaryOperator<StackConfig> before = configA;
            this.configA = c ->
            {
                final StackConfig config = before.apply(c);
                tcp.accept(config.tcp());
                return config;
            };
            return this;
        }

        /** Adjusts B's TCP settings. */
        Builder tcpB(final Consumer<TcpConfig> tcp)
        {
            final UnaryOperator<StackConfig> before = configB;
            this.configB = c ->
            {
                final StackConfig config = before.apply(c);
                tcp.accept(config.tcp());
                return config;
            };
            return this;
        }

        /** What A's frames meet on the way to B (a rate limit and its queue, seeded loss). */
        Builder aToB(final Impairment impairment)
        {
            this.aToB = impairment;
            return this;
        }

        Builder bToA(final Impairment impairment)
        {
            this.bToA = impairment;
            return this;
        }

        /** The frames of A the lab loses on purpose. */
        Builder dropAtoB(final LossWatch.DropRule rule)
        {
            this.dropAtoB = rule;
            return this;
        }

        Builder dropBtoA(final LossWatch.DropRule rule)
        {
            this.dropBtoA = rule;
            return this;
        }

        LabBench build() throws IOException
        {
            return new LabBench(this);
        }
    }
}
