package io.tapstack.tcp;

import io.tapstack.NetStack;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.GilbertElliott;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.dev.ImpairmentLane;
import io.tapstack.dev.RateLimit;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two stacks in simulated time with A's end of the link wrapped in an {@link ImpairedDevice}: TCP through a
 * bottleneck with a long delay, through corruption, and through burst loss. A sends to B.
 */
class TcpImpairedLinkTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");

    private static byte[] randomBytes(final int n, final long seed)
    {
        final byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** A network whose A end is impaired as given; the impaired device is {@link #device}. */
    private static final class Net
    {
        final TwoStacks stacks;
        ImpairedDevice device;

        Net(final long seed, final Impairment receive, final Impairment transmit)
        {
            stacks = new TwoStacks(100_000, c -> c, c -> c,
                d -> device = ImpairedDevice.builder(d).seed(seed).receive(receive).transmit(transmit).build(),
                d -> d);
        }
    }

    /** A connects to B:5000 and sends {@code data}; runs until B has read it all. Returns the sink. */
    private static TcpPeers.Sink send(final TwoStacks net, final byte[] data, final long maxNs)
    {
        final TcpPeers.Sink sink = new TcpPeers.Sink().listenOn(net.b.tcp(), 5000);
        final TcpPeers.Sender sender = new TcpPeers.Sender(data, true);
        assertNotNull(net.a.tcp().connect(B, 5000, sender, net.nowNs()));
        assertTrue(net.runUntil(() -> sink.received.size() == data.length, maxNs),
            "received " + sink.received.size() + " of " + data.length);
        return sink;
    }

    /** Every frame a stack dropped because a check failed: what corruption can cause. */
    private static long checkFailures(final NetStack stack)
    {
        long sum = 0;
        for (final Counter c : new Counter[] {Counter.ETH_DROP_NOT_FOR_US, Counter.ETH_DROP_UNKNOWN_ETHERTYPE,
            Counter.ETH_DROP_OWN_SOURCE, Counter.IP_DROP_BAD_VERSION, Counter.IP_DROP_BAD_HEADER_LENGTH,
            Counter.IP_DROP_BAD_TOTAL_LENGTH, Counter.IP_DROP_TRUNCATED, Counter.IP_DROP_BAD_CHECKSUM,
            Counter.TCP_DROP_BAD_CHECKSUM, Counter.TCP_DROP_BAD_DATA_OFFSET, Counter.TCP_DROP_TOO_SHORT})
        {
            sum += stack.counters().get(c);
        }
        return sum;
    }

    // ------------------------------------------------------------------------------------------------ bandwidth

    @Test
    void tcpFillsATenMegabitLinkWithTwentyMillisecondsOfDelay()
    {
        // the data path: 10 Mbit/s through tbf's default bucket and 50 ms queue, then 20 ms on the wire
        final long rate = 10_000_000L;
        final Impairment bottleneck = Impairment.NONE.withRate(RateLimit.of(rate)).withDelayNs(20 * MS, 0);
        final Net n = new Net(1, Impairment.NONE, bottleneck);
        final byte[] data = randomBytes(6_000_000, 1);
        final long t0 = n.stacks.nowNs();
        final TcpPeers.Sink sink = send(n.stacks, data, 60 * SECOND);
        final double seconds = (n.stacks.nowNs() - t0) / 1e9;
        assertTrue(Arrays.equals(data, sink.received.toByteArray()));

        // goodput: payload bits per second, against the share of payload in a full frame (at most 1460 of 1514
        // bytes; 1448 with TCP timestamps)
        final double goodputBits = data.length * 8 / seconds;
        final double ceiling = rate * 1460.0 / 1514;
        assertTrue(goodputBits <= ceiling, "no faster than the link: " + goodputBits);
        assertTrue(goodputBits >= 0.9 * ceiling, "goodput " + goodputBits / 1e6 + " Mbit/s of " + ceiling / 1e6
            + " in " + seconds + " s");
        final ImpairmentLane lane = n.device.transmitStats();
        assertTrue(lane.rateQueued() > 1000, "the queue held the backlog: " + lane.rateQueued());
    }

    // ------------------------------------------------------------------------------------------------ corruption

    @Test
    void aTransferThroughOnePercentCorruptionArrivesIntactAndTheChecksumsCountIt()
    {
        final Impairment corrupt = Impairment.NONE.withCorrupt(0.01).withDelayNs(2 * MS, 0);
        final Net n = new Net(3, corrupt, corrupt);
        final byte[] data = randomBytes(6_000_000, 3);
        final TcpPeers.Sink sink = send(n.stacks, data, 120 * SECOND);
        assertTrue(Arrays.equals(data, sink.received.toByteArray()), "never a corrupted byte delivered");

        final long sentCorrupted = n.device.transmitStats().corrupted();
        final long receivedCorrupted = n.device.receiveStats().corrupted();
        assertTrue(sentCorrupted > 10 && receivedCorrupted > 3, sentCorrupted + " / " + receivedCorrupted);
        // B sees A's full-size segments: all but a flip in the source MAC (0.4% of their bits) fail a check
        final long caughtAtB = checkFailures(n.stacks.b);
        assertTrue(caughtAtB <= sentCorrupted && caughtAtB >= sentCorrupted * 9 / 10,
            "B caught " + caughtAtB + " of " + sentCorrupted);
        assertTrue(n.stacks.b.counters().get(Counter.TCP_DROP_BAD_CHECKSUM) > 0);
        assertTrue(n.stacks.b.counters().get(Counter.TCP_DROP_BAD_CHECKSUM) >= sentCorrupted * 8 / 10,
            "most flips land in the TCP segment");
        // A sees B's ACKs, small frames where a flip hits the Ethernet header more often
        final long caughtAtA = checkFailures(n.stacks.a);
        assertTrue(caughtAtA <= receivedCorrupted && caughtAtA > 0, "A caught " + caughtAtA + " of "
            + receivedCorrupted);
        assertTrue(n.stacks.a.counters().get(Counter.TCP_RETRANSMITTED_SEGMENTS) > 0, "a corrupt segment is lost");
    }

    // ------------------------------------------------------------------------------------------------ burst loss

    @Test
    void aTransferThroughGilbertElliottBurstsArrivesIntact()
    {
        // bursts of 3 frames on average, 3% of the data frames in them
        final Impairment bursts = Impairment.NONE.withGilbertElliott(GilbertElliott.of(0.01, 0.33))
            .withDelayNs(5 * MS, 0);
        final Net n = new Net(1, Impairment.NONE, bursts);
        final byte[] data = randomBytes(3_000_000, 5);
        final TcpPeers.Sink sink = send(n.stacks, data, 300 * SECOND);
        assertTrue(Arrays.equals(data, sink.received.toByteArray()));
        final ImpairmentLane lane = n.device.transmitStats();
        assertEquals(lane.dropped(), lane.burstDropped());
        assertTrue(lane.burstDropped() > 30, "lost " + lane.burstDropped());
        assertTrue(n.stacks.a.counters().get(Counter.TCP_RETRANSMITTED_SEGMENTS) >= lane.burstDropped() / 2);
    }
}
