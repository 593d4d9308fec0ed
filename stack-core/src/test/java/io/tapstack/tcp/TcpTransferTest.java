package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpTransferTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");

    private static byte[] randomBytes(final int n, final long seed)
    {
        final byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** A connects to B:5000, sends {@code data} and closes; B reads it all and closes after the FIN. */
    private static TcpPeers.Sink transfer(final TwoStacks net, final byte[] data, final long maxNs)
    {
        final TcpPeers.Sink sink = new TcpPeers.Sink().listenOn(net.b.tcp(), 5000);
        final TcpPeers.Sender sender = new TcpPeers.Sender(data, true);
        assertNotNull(net.a.tcp().connect(B, 5000, sender, net.clock.nanoTime()));
        assertTrue(net.runUntil(() -> sink.closed && sender.closed, maxNs),
            "transfer did not finish: received " + sink.received.size() + " of " + data.length);
        return sink;
    }

    @Test
    void transfersAndClosesOnACleanLink()
    {
        final TwoStacks net = new TwoStacks();
        final byte[] data = randomBytes(1_000_000, 1);
        final TcpPeers.Sink sink = transfer(net, data, 60 * SECOND);
        assertArrayEquals(data, sink.received.toByteArray());
        assertEquals(0, net.a.counters().get(Counter.TCP_RETRANSMITTED_SEGMENTS));
        assertEquals(1, net.a.counters().get(Counter.TCP_ESTABLISHED));
        assertEquals(1, net.b.counters().get(Counter.TCP_ESTABLISHED));
        // after TIME-WAIT everything is gone
        net.runFor(61 * SECOND);
        assertEquals(0, net.a.tcp().connectionCount());
        assertEquals(0, net.b.tcp().connectionCount());
    }

    @Test
    void transfersIntactThroughLossAndDuplication()
    {
        for (long seed = 1; seed <= 5; seed++)
        {
            final long s = seed;
            final TwoStacks net = new TwoStacks(5 * MS, c -> c, c -> c,
                d -> new ImpairedDevice(d, s, 0.05, 0.01), d -> new ImpairedDevice(d, s + 100, 0.05, 0.01));
            final byte[] data = randomBytes(300_000, seed);
            final TcpPeers.Sink sink = transfer(net, data, 600 * SECOND);
            assertTrue(Arrays.equals(data, sink.received.toByteArray()), "seed " + seed + ": bytes differ");
            assertTrue(net.a.counters().get(Counter.TCP_RETRANSMITTED_SEGMENTS) > 0, "seed " + seed);
        }
    }
}
