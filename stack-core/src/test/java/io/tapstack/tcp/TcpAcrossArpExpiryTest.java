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
 * A bulk transfer that lasts many ARP cache lifetimes (RFC 1122 §2.3.2.1): the mappings both stacks use go old in
 * the middle of the traffic, and must keep being used while they are re-validated, never sending packets back to
 * the resolution queue (where a full window overflows it).
 */
class TcpAcrossArpExpiryTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");
    private static final long ARP_LIFETIME_NS = 20 * MS;

    @Test
    void aTransferLongerThanTheArpLifetimeNeverQueuesForArp()
    {
        final TwoStacks net = new TwoStacks(5 * MS, c -> c.arpCacheTtlNs(ARP_LIFETIME_NS),
            c -> c.arpCacheTtlNs(ARP_LIFETIME_NS), d -> d, d -> d);
        final byte[] data = new byte[8_000_000];
        new Random(3).nextBytes(data);
        final TcpPeers.Sink sink = new TcpPeers.Sink();
        net.b.tcp().listen(5000, listener ->
        {
            final TcpConnection c = listener.accept();
            c.handler(sink);
            sink.drain(c);
        });
        final TcpPeers.Sender sender = new TcpPeers.Sender(data, true);
        assertNotNull(net.a.tcp().connect(B, 5000, sender, net.nowNs()));
        assertTrue(net.runUntil(() -> sender.connected, SECOND));
        // the SYN waited for the first resolution; nothing may wait after it
        final long queuedAtStart = net.a.counters().get(Counter.ARP_QUEUED) + net.b.counters().get(Counter.ARP_QUEUED);
        final long start = net.nowNs();

        assertTrue(net.runUntil(() -> sink.closed && sender.closed, 60 * SECOND),
            "transfer did not finish: received " + sink.received.size() + " of " + data.length);

        assertTrue(net.nowNs() - start > 5 * ARP_LIFETIME_NS, "the transfer outlasts the ARP lifetime several times");
        assertArrayEquals(data, sink.received.toByteArray());
        assertEquals(queuedAtStart,
            net.a.counters().get(Counter.ARP_QUEUED) + net.b.counters().get(Counter.ARP_QUEUED), "packets queued for ARP");
        assertEquals(0, net.a.counters().get(Counter.ARP_QUEUE_FULL_DROPS));
        assertEquals(0, net.b.counters().get(Counter.ARP_QUEUE_FULL_DROPS));
        assertEquals(0, net.a.counters().get(Counter.TCP_RETRANSMITTED_SEGMENTS));
    }
}
