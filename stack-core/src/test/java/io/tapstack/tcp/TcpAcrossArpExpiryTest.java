package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        final TcpPeers.Sink sink = new TcpPeers.Sink().listenOn(net.b.tcp(), 5000);
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
        // the sender's ACKs of new data kept its entry for B reachable: it never even had to re-validate it
        assertEquals(0, net.a.counters().get(Counter.ARP_REVALIDATIONS));
        assertTrue(net.b.counters().get(Counter.ARP_REVALIDATIONS) > 0, "B only sends ACKs: its entry went stale");
    }

    /** An established connection whose peer was learned at time 0, with a 10 s ARP lifetime. */
    private static TcpScript establishedWithTenSecondArpLifetime()
    {
        return TcpScript.withStackConfig(c -> c.arpCacheTtlNs(10 * SECOND));
    }

    // RFC 1122 §2.3.2.1: "advice from higher layers", as Linux's TCP confirms the neighbour on an ACK of new data
    @Test
    void anAckOfNewDataKeepsTheNextHopReachable()
    {
        final TcpScript t = establishedWithTenSecondArpLifetime();
        final TcpConnection c = t.passiveOpen();
        t.s.advance(8 * SECOND);
        t.write(c, bytes(100));
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
        t.send(ACK, t.peer(1), t.stack(101)); // at 8 s: reachable until 18 s

        t.s.advance(7 * SECOND);
        t.write(c, bytes(100));
        t.expect(ACK | PSH, t.stack(101), t.peer(1), 100);
        assertEquals(0, t.count(Counter.ARP_REVALIDATIONS), "confirmed at 8 s, fresh at 15 s");
        assertEquals(PEER_MAC, t.s.stack.arp().cache().lookup(PEER_IP));
        assertTrue(t.s.stack.arp().cache().isReachable(PEER_IP, t.s.clock.nanoTime()));
    }

    @Test
    void anAckOfNothingNewConfirmsNothing()
    {
        final TcpScript t = establishedWithTenSecondArpLifetime();
        final TcpConnection c = t.passiveOpen();
        t.s.advance(8 * SECOND);
        t.send(ACK, t.peer(1), t.stack(1)); // acknowledges nothing new: no evidence the peer hears us
        t.expectNothing();

        t.s.advance(7 * SECOND);
        assertFalse(t.s.stack.arp().cache().isReachable(PEER_IP, t.s.clock.nanoTime()));
        t.write(c, bytes(100));
        // stale at 10 s: still used, and its re-validation begins
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
        assertEquals(1, t.count(Counter.ARP_REVALIDATIONS));
        assertEquals(0, t.count(Counter.ARP_QUEUED));
    }
}
