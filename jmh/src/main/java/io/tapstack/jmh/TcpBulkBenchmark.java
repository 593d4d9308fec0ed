package io.tapstack.jmh;

import io.tapstack.StackConfig;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.testkit.TwoStacks;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.tapstack.testkit.TwoStacks.SECOND;

/**
 * Bulk TCP between two stacks on the benchmark thread: the test kit's {@link TwoStacks} over a zero-latency
 * {@link io.tapstack.dev.MemoryLink} with 1514-byte frames (MTU 1500), A sending to B on one established
 * connection. One operation moves {@link #CHUNK_BYTES} of application data from A's {@code write} to B's
 * {@code read}: A's send buffer is kept full, both stacks run one duty cycle each per step, and B reads all it
 * has. When neither stack has work and no byte moved, time jumps to the earliest deadline (a delayed ACK, say),
 * as in the simulations. It measures the protocol code alone (segmentation, checksums both ways, ACK handling,
 * both buffers' copies), with no syscall and no thread hand-off.
 *
 * <p>Mode is throughput; the {@code gbps} counter of {@link Rate} is the goodput in gigabits per second of
 * application data (the figure to read). {@code -prof gc}'s {@code gc.alloc.rate.norm} is per 64 KiB moved (about
 * 45 segments and 22 ACKs), so anything under a few bytes is zero per packet.
 *
 * <p>{@code offload}: both stacks on a {@code MemoryLink} that models offloading devices ({@code
 * MemoryLink.offloading}: segments of one duty cycle glued into TSO super-frames of up to 64 KiB, carried whole, their
 * checksums left partial).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class TcpBulkBenchmark
{
    /** Application bytes one operation moves from A to B. */
    public static final int CHUNK_BYTES = 64 * 1024;
    private static final int PORT = 5001;
    /** Steps without a byte moved and without a deadline to jump to before the run fails as stuck. */
    private static final int STUCK_STEPS = 1_000_000;

    @Param({"false", "true"})
    public boolean offload;

    private final byte[] payload = new byte[CHUNK_BYTES];
    private final byte[] sink = new byte[CHUNK_BYTES];
    private TwoStacks net;
    private TcpConnection sender;
    private TcpConnection receiver;
    private long received;
    private long timerJumps;

    /** The goodput, normalised by JMH to the measured time: ops/s of this counter read as Gb/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rate
    {
        public double gbps;

        @Setup(Level.Iteration)
        public void clear()
        {
            gbps = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        new SplittableRandom(11).nextBytes(payload);
        net = new TwoStacks(0, this::config, this::config, d -> d, d -> d, offload);
        net.link.observer(null); // the test kit's capture copies every frame: a benchmark must not keep one
        final TwoStacks.Established opened = net.establish(1, PORT, null);
        sender = opened.clients().get(0);
        receiver = opened.servers().get(0);
        checkOneChunkArrivesIntact();
    }

    private StackConfig config(final StackConfig config)
    {
        config.tcp().maxConnections(4).defaultBacklog(1);
        return config;
    }

    /** The bytes B reads are the bytes A wrote, in order (once, before timing). */
    private void checkOneChunkArrivesIntact()
    {
        final byte[] got = new byte[CHUNK_BYTES];
        int written = 0;
        int read = 0;
        long nowNs = net.nowNs();
        for (int step = 0; read < CHUNK_BYTES; step++)
        {
            if (step > STUCK_STEPS)
            {
                throw new IllegalStateException("stuck in the check: " + read + " bytes read");
            }
            written += sender.write(payload, written, CHUNK_BYTES - written);
            nowNs = step(nowNs);
            int n;
            while ((n = receiver.read(got, read, CHUNK_BYTES - read)) > 0)
            {
                read += n;
            }
        }
        if (!Arrays.equals(payload, got))
        {
            throw new IllegalStateException("the bytes B read differ from what A wrote");
        }
    }

    /** One duty cycle of each stack; when neither had work, time jumps to the earliest deadline. */
    private long step(final long nowNs)
    {
        final int work = net.a.doWork(nowNs) + net.b.doWork(nowNs);
        if (work > 0)
        {
            return nowNs;
        }
        final long next = Math.min(net.a.nextDeadlineNs(), net.b.nextDeadlineNs());
        if (next == Long.MAX_VALUE)
        {
            return nowNs + 1_000;
        }
        timerJumps++;
        final long to = Math.max(next, nowNs + 1);
        net.clock.setNs(to);
        return to;
    }

    @Benchmark
    public long bulk(final Rate rate)
    {
        final long target = received + CHUNK_BYTES;
        long nowNs = net.nowNs();
        int idleSteps = 0;
        while (received < target)
        {
            final int written = sender.write(payload, 0, CHUNK_BYTES);
            nowNs = step(nowNs);
            int got = 0;
            int n;
            // no more than this operation's share: every operation moves exactly CHUNK_BYTES
            while (received + got < target && (n = receiver.read(sink, 0, (int)(target - received - got))) > 0)
            {
                got += n;
            }
            received += got;
            idleSteps = written + got > 0 ? 0 : idleSteps + 1;
            if (idleSteps > STUCK_STEPS)
            {
                throw new IllegalStateException("no byte moved in " + STUCK_STEPS + " steps: " + sender);
            }
        }
        rate.gbps += CHUNK_BYTES * 8 / 1e9;
        return received;
    }

    @TearDown(Level.Trial)
    public void report()
    {
        if (sender.state() != io.tapstack.tcp.TcpState.ESTABLISHED)
        {
            throw new IllegalStateException("the connection did not survive: " + sender);
        }
        // a benchmark's own line, outside JMH's table: how often the sender waited for a timer (ideally rarely)
        System.out.printf("%nTcpBulkBenchmark: %d MB moved, %d timer jumps, cwnd %d, srtt %d ns%n",
            received >> 20, timerJumps, sender.cwnd(), sender.srttNs());
    }
}
