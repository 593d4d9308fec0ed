package io.tapstack.testkit;

import io.tapstack.NetStack;
import io.tapstack.Simulation;
import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.MemoryLink;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.time.ManualClock;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * Two stacks joined by a {@link MemoryLink} in simulated time: time jumps to the next deadline of either
 * stack or the next frame arrival, so seconds of protocol time run in microseconds, identically for a seed.
 * A is 10.0.0.1/24, B is 10.0.0.2/24 unless configured otherwise.
 */
public final class TwoStacks
{
    public static final long MS = 1_000_000L;
    public static final long SECOND = 1_000_000_000L;

    public final ManualClock clock = new ManualClock(1_000 * SECOND);
    public final MemoryLink link;
    public final FrameCapture capture = new FrameCapture();
    public final NetStack a;
    public final NetStack b;
    private final Simulation simulation;

    public TwoStacks()
    {
        this(1 * MS, c -> c, c -> c, d -> d, d -> d);
    }

    /**
     * @param latencyNs one-way delay of the link
     * @param configA   adjusts A's config (starts as 10.0.0.1/24)
     * @param configB   adjusts B's config (starts as 10.0.0.2/24)
     * @param deviceA   wraps A's end of the link (e.g. in an {@link ImpairedDevice})
     * @param deviceB   wraps B's end
     */
    public TwoStacks(final long latencyNs, final UnaryOperator<StackConfig> configA,
        final UnaryOperator<StackConfig> configB, final UnaryOperator<FrameDevice> deviceA,
        final UnaryOperator<FrameDevice> deviceB)
    {
        this(latencyNs, configA, configB, deviceA, deviceB, false);
    }

    /**
     * As above; with {@code offloads}, over {@link MemoryLink#offloading}: each end glues its stack's TCP segments
     * into super-frames and the other delivers them whole with a partial checksum (256 slots of 64 KiB each way).
     */
    public TwoStacks(final long latencyNs, final UnaryOperator<StackConfig> configA,
        final UnaryOperator<StackConfig> configB, final UnaryOperator<FrameDevice> deviceA,
        final UnaryOperator<FrameDevice> deviceB, final boolean offloads)
    {
        link = (offloads ? MemoryLink.offloading(clock, latencyNs, 256, 1514)
            : new MemoryLink(clock, latencyNs, 8192, 1514)).observer(capture);
        a = new NetStack(configA.apply(new StackConfig().ipAddress("10.0.0.1/24").seed(1).repeatableSecrets(true)),
            deviceA.apply(link.endA()));
        b = new NetStack(configB.apply(new StackConfig().ipAddress("10.0.0.2/24").seed(2).repeatableSecrets(true)),
            deviceB.apply(link.endB()));
        simulation = new Simulation(clock, link, a, b);
    }

    public long nowNs()
    {
        return clock.nanoTime();
    }

    /** Runs both stacks until {@code done} holds or {@code maxNs} of simulated time pass; returns done. */
    public boolean runUntil(final BooleanSupplier done, final long maxNs)
    {
        return simulation.runUntil(done, maxNs);
    }

    /** Runs both stacks for {@code durationNs} of simulated time. */
    public void runFor(final long durationNs)
    {
        runUntil(() -> false, durationNs);
    }

    /** Connections opened by {@link #establish}: A's ends in the order opened, and B's in the order accepted. */
    public record Established(List<TcpConnection> clients, List<TcpConnection> servers)
    {
        /** B's end of {@code client}. */
        public TcpConnection serverOf(final TcpConnection client)
        {
            return servers.stream().filter(c -> c.remotePort() == client.localPort()).findFirst().orElseThrow();
        }
    }

    /**
     * Opens {@code n} connections from A to B's {@code port} (B listens there with a backlog of {@code n}) and runs
     * until every one is established and the last ACKs have landed. They open in batches of 500, so the link's
     * slots never overflow with SYNs. The configs must allow {@code n} connections and a backlog of {@code n}.
     *
     * @param serverHandler the handler of B's ends (null for none); A's ends have none
     * @throws IllegalStateException if a connect fails or a batch is not accepted within 5 simulated seconds
     */
    public Established establish(final int n, final int port, final TcpHandler serverHandler)
    {
        final List<TcpConnection> servers = new ArrayList<>(n);
        b.tcp().listen(port, n, listener ->
        {
            TcpConnection c;
            while ((c = listener.accept()) != null)
            {
                c.handler(serverHandler);
                servers.add(c);
            }
        });
        final int server = b.ipAddress();
        final List<TcpConnection> clients = new ArrayList<>(n);
        while (clients.size() < n)
        {
            final int batch = Math.min(500, n - clients.size());
            for (int i = 0; i < batch; i++)
            {
                final TcpConnection c = a.tcp().connect(server, port, null, nowNs());
                if (c == null)
                {
                    throw new IllegalStateException("connect failed after " + clients.size());
                }
                clients.add(c);
            }
            final int expected = clients.size();
            if (!runUntil(() -> servers.size() == expected, 5 * SECOND))
            {
                throw new IllegalStateException("only " + servers.size() + " of " + expected + " accepted");
            }
        }
        runFor(100 * MS); // the last ACKs land
        return new Established(clients, servers);
    }
}
