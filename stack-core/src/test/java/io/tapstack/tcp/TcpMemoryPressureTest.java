package io.tapstack.tcp;

import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack-wide memory limit's back-pressure between two stacks in simulated time: {@value #CONNECTIONS}
 * connections each send {@value #BYTES} bytes to slow readers, with a 1 MiB limit (2 MiB hard) on each stack, far
 * below what their buffers would take. The stacks come under pressure and count it, a connection opened at the hard
 * limit is refused and counted, nothing crashes, every byte arrives intact, and all the memory comes back.
 */
class TcpMemoryPressureTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");
    private static final int CONNECTIONS = 40;
    private static final int BYTES = 200 * 1024;
    private static final int READ_PER_STEP = 1024;

    private static StackConfig limited(final StackConfig config)
    {
        config.tcp().memoryLimitBytes(1024 * 1024).memoryHardLimitBytes(2 * 1024 * 1024);
        return config;
    }

    @Test
    void aSmallMemoryLimitSlowsTransfersDownButLosesNothing()
    {
        final TwoStacks net = new TwoStacks(MS, TcpMemoryPressureTest::limited, TcpMemoryPressureTest::limited,
            d -> d, d -> d);
        final List<TcpConnection> servers = new ArrayList<>();
        final List<TcpPeers.Sink> sinks = new ArrayList<>();
        net.b.tcp().listen(5000, CONNECTIONS, listener ->
        {
            TcpConnection c;
            while ((c = listener.accept()) != null)
            {
                final TcpPeers.Sink sink = new TcpPeers.Sink();
                sink.paused = true; // the test reads, a little at a time
                c.handler(sink);
                servers.add(c);
                sinks.add(sink);
            }
        });
        final List<TcpPeers.Sender> senders = new ArrayList<>();
        final List<TcpConnection> clients = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++)
        {
            final byte[] data = new byte[BYTES];
            new Random(i).nextBytes(data);
            final TcpPeers.Sender sender = new TcpPeers.Sender(data, true);
            senders.add(sender);
            clients.add(net.a.tcp().connect(B, 5000, sender, net.nowNs()));
        }
        final long start = net.nowNs();
        final boolean[] refusedAtHardLimit = {false};
        final long[] peak = {0, 0};
        assertTrue(net.runUntil(() ->
        {
            for (int i = 0; i < servers.size(); i++)
            {
                final TcpPeers.Sink sink = sinks.get(i);
                sink.paused = false;
                sink.readLimit = READ_PER_STEP;
                sink.drain(servers.get(i));
                sink.paused = true;
            }
            peak[0] = Math.max(peak[0], net.a.counters().get(Counter.TCP_MEMORY_BYTES));
            peak[1] = Math.max(peak[1], net.b.counters().get(Counter.TCP_MEMORY_BYTES));
            if (!refusedAtHardLimit[0] && net.a.counters().get(Counter.TCP_MEMORY_BYTES) >= 2 * 1024 * 1024)
            {
                // at the hard limit a new connection is refused (and counted), not crashed into
                assertNull(net.a.tcp().connect(B, 5000, null, net.nowNs()));
                refusedAtHardLimit[0] = true;
            }
            return sinks.size() == CONNECTIONS && sinks.stream().allMatch(s -> s.closed)
                && senders.stream().allMatch(s -> s.closed);
        }, 600 * SECOND), "transfers did not finish");

        for (int i = 0; i < CONNECTIONS; i++)
        {
            final TcpConnection server = servers.get(i);
            final int client = clients.indexOf(clients.stream()
                .filter(c -> c.localPort() == server.remotePort()).findFirst().orElseThrow());
            assertArrayEquals(senders.get(client).data, sinks.get(i).received.toByteArray(), "connection " + i);
            assertFalse(sinks.get(i).reset);
        }
        assertTrue(refusedAtHardLimit[0], "the senders' buffers reached the hard limit");
        assertTrue(net.a.counters().get(Counter.TCP_MEMORY_HARD_LIMIT) >= 1);
        assertTrue(net.a.counters().get(Counter.TCP_MEMORY_PRESSURE) >= 1, "the sender's stack was under pressure");
        assertTrue(net.b.counters().get(Counter.TCP_MEMORY_PRESSURE) >= 1, "the receiver's stack was under pressure");
        assertEquals(0, net.a.counters().get(Counter.STACK_INTERNAL_ERRORS));
        assertEquals(0, net.b.counters().get(Counter.STACK_INTERNAL_ERRORS));
        assertEquals(0, net.b.counters().get(Counter.TCP_RCVBUF_GROWTHS), "slow readers need no larger window");
        System.out.printf("memory pressure: %d connections, peak buffer bytes A %,d, B %,d; pressure entries A %d, "
            + "B %d; finished at %.3f s%n", CONNECTIONS, peak[0], peak[1],
            net.a.counters().get(Counter.TCP_MEMORY_PRESSURE), net.b.counters().get(Counter.TCP_MEMORY_PRESSURE),
            (net.nowNs() - start) / 1e9);
        // every connection closed: every byte of buffer memory is back
        net.runFor(120 * SECOND);
        assertEquals(0, net.a.counters().get(Counter.TCP_MEMORY_BYTES));
        assertEquals(0, net.b.counters().get(Counter.TCP_MEMORY_BYTES));
    }
}
