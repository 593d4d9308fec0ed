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
 * RFC 7323 §1.1-2 between two stacks: with window scaling a bulk transfer keeps more than 64 KiB in flight over a
 * 10 ms round trip (4 MiB buffers); without it, never more than 65,535 bytes (the unscaled window field).
 */
class TcpLargeWindowTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");
    private static final int BUFFER = 4 * 1024 * 1024;
    private static final int UNSCALED_MAX = 65_535;

    /** Bulk transfer from A to B over 5 ms each way; returns the largest flight A had (SND.MAX - SND.UNA). */
    private static int bulkTransferPeakFlight(final boolean rfc7323)
    {
        final TwoStacks net = new TwoStacks(5 * MS, c ->
        {
            c.tcp().sendBufferBytes(BUFFER).receiveBufferBytes(BUFFER).windowScaling(rfc7323).timestamps(rfc7323);
            return c;
        }, c ->
        {
            c.tcp().sendBufferBytes(BUFFER).receiveBufferBytes(BUFFER).windowScaling(rfc7323).timestamps(rfc7323);
            return c;
        }, d -> d, d -> d);
        final byte[] data = new byte[8 * 1024 * 1024];
        new Random(7323).nextBytes(data);
        final TcpPeers.Sink sink = new TcpPeers.Sink().listenOn(net.b.tcp(), 5000);
        final TcpPeers.Sender sender = new TcpPeers.Sender(data, true);
        final TcpConnection a = net.a.tcp().connect(B, 5000, sender, net.clock.nanoTime());
        assertNotNull(a);
        final int[] peak = new int[1];
        assertTrue(net.runUntil(() ->
        {
            peak[0] = Math.max(peak[0], a.sndMax() - a.sndUna());
            return sink.closed && sender.closed;
        }, 120 * SECOND), "transfer did not finish: received " + sink.received.size() + " of " + data.length);
        assertArrayEquals(data, sink.received.toByteArray());
        assertEquals(rfc7323 ? 1 : 0, net.a.counters().get(Counter.TCP_WINDOW_SCALE_NEGOTIATED));
        assertEquals(rfc7323 ? 1 : 0, net.b.counters().get(Counter.TCP_TIMESTAMPS_NEGOTIATED));
        return peak[0];
    }

    @Test
    void withWindowScalingABulkTransferKeepsMoreThan64KiBInFlight()
    {
        final int peak = bulkTransferPeakFlight(true);
        assertTrue(peak > 64 * 1024, "peak flight " + peak);
    }

    @Test
    void withoutRfc7323TheFlightIsCappedByTheUnscaledWindow()
    {
        final int peak = bulkTransferPeakFlight(false);
        assertTrue(peak <= UNSCALED_MAX, "peak flight " + peak);
        assertTrue(peak > UNSCALED_MAX / 2, "the window, not something else, is the limit: " + peak);
    }
}
