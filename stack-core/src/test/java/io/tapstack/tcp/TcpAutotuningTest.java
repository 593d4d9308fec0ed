package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Buffers that grow, between two stacks in simulated time with the default configuration: a bulk transfer over a
 * 10 ms round trip grows the receive buffer from 64 KiB until the window it offers fills 4 MiB, and the sender's send
 * buffer follows its congestion window, so the transfer runs at the rate a 4 MiB window allows over 10 ms.
 */
class TcpAutotuningTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");
    private static final int FOUR_MIB = 4 * 1024 * 1024;

    /** What the receiver and sender grew to, and how fast the data went. */
    static final class Growth implements TcpEventListener
    {
        int receiveCapacity;
        int sendCapacity;
        int receiveGrowths;

        @Override
        public void onBufferGrowth(final TcpConnection connection, final boolean receive, final int capacity,
            final long nowNs)
        {
            if (receive)
            {
                receiveCapacity = Math.max(receiveCapacity, capacity);
                receiveGrowths++;
            }
            else
            {
                sendCapacity = Math.max(sendCapacity, capacity);
            }
        }
    }

    @Test
    void aBulkTransferAt10msRttFillsA4MiBWindow()
    {
        final TwoStacks net = new TwoStacks(5 * MS, c -> c, c -> c, d -> d, d -> d);
        final Growth sender = new Growth();
        final Growth receiver = new Growth();
        net.a.tcp().eventListener(sender);
        net.b.tcp().eventListener(receiver);
        final byte[] data = new byte[96 * 1024 * 1024];
        new Random(9293).nextBytes(data);
        final TcpPeers.Sink sink = new TcpPeers.Sink().listenOn(net.b.tcp(), 5000);
        final TcpPeers.Sender source = new TcpPeers.Sender(data, true);
        final TcpConnection a = net.a.tcp().connect(B, 5000, source, net.nowNs());
        assertNotNull(a);
        final long start = net.nowNs();
        final long[] halfAt = {0};
        final int[] peakWindow = {0};
        final int[] peakFlight = {0};
        assertTrue(net.runUntil(() ->
        {
            peakWindow[0] = Math.max(peakWindow[0], a.sndWnd());
            peakFlight[0] = Math.max(peakFlight[0], a.sndMax() - a.sndUna());
            if (halfAt[0] == 0 && sink.received.size() >= data.length / 2)
            {
                halfAt[0] = net.nowNs();
            }
            return sink.closed && source.closed;
        }, 60 * SECOND), "transfer did not finish: received " + sink.received.size() + " of " + data.length);
        final long end = net.nowNs();
        assertArrayEquals(data, sink.received.toByteArray());

        // the window the receiver offers reached 4 MiB (less what was unread when it was announced)
        assertEquals(FOUR_MIB, receiver.receiveCapacity, "the receive buffer grew to its maximum");
        assertTrue(peakWindow[0] >= FOUR_MIB - 64 * 1024, "peak window seen by the sender " + peakWindow[0]);
        assertTrue(peakFlight[0] >= FOUR_MIB * 3 / 4, "peak flight " + peakFlight[0]);
        assertTrue(receiver.receiveGrowths <= 8, "in a few doublings: " + receiver.receiveGrowths);
        assertTrue(sender.sendCapacity >= FOUR_MIB, "the send buffer followed cwnd: " + sender.sendCapacity);
        assertTrue(net.b.counters().get(Counter.TCP_RCVBUF_GROWTHS) > 0);
        assertTrue(net.a.counters().get(Counter.TCP_SNDBUF_GROWTHS) > 0);

        // the second half ran at the rate of a full window per round trip: 4 MiB / 10 ms is 3.36 Gbit/s
        final double secondHalfGbps = (data.length / 2) * 8.0 / (end - halfAt[0]);
        final double wholeGbps = data.length * 8.0 / (end - start);
        System.out.printf("autotuning, 10 ms RTT: whole transfer %.2f Gbit/s, second half %.2f Gbit/s, "
                + "peak window %d, peak flight %d, %d receive-buffer growths%n", wholeGbps, secondHalfGbps,
            peakWindow[0], peakFlight[0], receiver.receiveGrowths);
        assertTrue(secondHalfGbps >= 0.75 * FOUR_MIB * 8.0 / (10 * MS), "second half " + secondHalfGbps + " Gbit/s");
        // buffers are given back when the connections close
        assertEquals(0, net.a.counters().get(Counter.TCP_MEMORY_BYTES), "A's buffers");
        assertEquals(0, net.b.counters().get(Counter.TCP_MEMORY_BYTES), "B's buffers");
    }
}
