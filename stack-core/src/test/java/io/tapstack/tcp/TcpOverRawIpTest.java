package io.tapstack.tcp;

import io.tapstack.StackConfig.LinkType;
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

/** TCP unchanged over a raw IP link (a TUN): the MSS follows the 1500-byte MTU, and a transfer arrives intact. */
class TcpOverRawIpTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");

    @Test
    void aMegabyteCrossesARawIpLinkIntactInFullSizedSegments()
    {
        final TwoStacks net = new TwoStacks(1 * MS, c -> c.linkType(LinkType.RAW_IP), c -> c.linkType(LinkType.RAW_IP),
            d -> d, d -> d);
        final byte[] data = new byte[1_000_000];
        new Random(13).nextBytes(data);
        final TcpPeers.Sink sink = new TcpPeers.Sink();
        net.b.tcp().listen(5000, listener ->
        {
            final TcpConnection c = listener.accept();
            c.handler(sink);
            sink.drain(c);
        });
        final TcpPeers.Sender sender = new TcpPeers.Sender(data, true);
        assertNotNull(net.a.tcp().connect(B, 5000, sender, net.nowNs()));
        assertTrue(net.runUntil(() -> sink.closed && sender.closed, 60 * SECOND),
            "received " + sink.received.size() + " of " + data.length);

        assertArrayEquals(data, sink.received.toByteArray());
        assertEquals(0, net.a.counters().get(Counter.TCP_RETRANSMITTED_SEGMENTS));
        assertEquals(0, net.a.counters().get(Counter.ARP_TX_REQUESTS));
        // RFC 9293 §3.7.1: MSS = MTU - 40; the largest packet on the link is the whole 1500-byte MTU
        final int largest = net.capture.all().stream().mapToInt(f -> f.bytes().length).max().orElse(0);
        assertEquals(1500, largest);
    }
}
