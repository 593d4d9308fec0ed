package io.tapstack;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TwoStackPingTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");
    private static final int A = Ipv4Address.parse("10.0.0.1");

    private record Reply(int source, int id, int seq, int length, long rttNs)
    {
    }

    @Test
    void pingsAcrossTheLinkAfterResolvingArp()
    {
        final TwoStacks net = new TwoStacks();
        final List<Reply> replies = new ArrayList<>();
        net.a.echoListener((src, id, seq, len, rtt) -> replies.add(new Reply(src, id, seq, len, rtt)));
        net.runFor(10 * MS);

        assertTrue(net.a.ping(B, 77, 1, 56, net.nowNs()));
        assertTrue(net.runUntil(() -> replies.size() == 1, SECOND));

        final Reply reply = replies.get(0);
        assertEquals(B, reply.source());
        assertEquals(77, reply.id());
        assertEquals(1, reply.seq());
        assertEquals(56, reply.length());
        // ARP request + reply, then echo request + reply: four 1 ms hops
        assertEquals(4 * MS, reply.rttNs());
        assertEquals(1, net.a.counters().get(Counter.ARP_TX_REQUESTS));
        assertEquals(1, net.b.counters().get(Counter.ICMP_ECHO_REPLIES_TX));

        // the second ping finds the next hop in the cache: one round trip
        assertTrue(net.a.ping(B, 77, 2, 56, net.nowNs()));
        assertTrue(net.runUntil(() -> replies.size() == 2, SECOND));
        assertEquals(2 * MS, replies.get(1).rttNs());
        assertEquals(1, net.a.counters().get(Counter.ARP_TX_REQUESTS));
    }

    @ParameterizedTest
    @ValueSource(ints = {4000, 60000, 65507})
    void largePingsAreFragmentedAndReassembledBothWays(final int dataLength)
    {
        final TwoStacks net = new TwoStacks();
        final List<Reply> replies = new ArrayList<>();
        net.a.echoListener((src, id, seq, len, rtt) -> replies.add(new Reply(src, id, seq, len, rtt)));

        assertTrue(net.a.ping(B, 9, 1, dataLength - 8, net.nowNs()));
        assertTrue(net.runUntil(() -> replies.size() == 1, SECOND));

        assertEquals(dataLength - 8, replies.get(0).length());
        final int fragments = (dataLength + 8 + 1479) / 1480;
        assertEquals(fragments, net.a.counters().get(Counter.IP_FRAGMENTS_TX));
        assertEquals(fragments, net.b.counters().get(Counter.IP_FRAGMENTS_TX));
        assertEquals(1, net.a.counters().get(Counter.IP_REASSEMBLED));
        assertEquals(1, net.b.counters().get(Counter.IP_REASSEMBLED));
        // every fragment fits the 1500-byte MTU
        assertTrue(net.capture.all().stream().allMatch(f -> f.bytes().length <= 1514));
    }

    @Test
    void pingGetsThroughALossyLinkWithArpRetries()
    {
        int seedsNeedingArpRetry = 0;
        for (long seed = 1; seed <= 30; seed++)
        {
            final long s = seed;
            final TwoStacks net = new TwoStacks(MS, c -> c.arpRetries(10), c -> c,
                d -> new ImpairedDevice(d, s, 0.3, 0), d -> d);
            final List<Reply> replies = new ArrayList<>();
            net.a.echoListener((src, id, seq, len, rtt) -> replies.add(new Reply(src, id, seq, len, rtt)));

            // like ping(8): one request a second until a reply arrives
            for (int seq = 1; seq <= 20 && replies.isEmpty(); seq++)
            {
                net.a.ping(B, 1, seq, 56, net.nowNs());
                net.runUntil(() -> !replies.isEmpty(), SECOND);
            }
            assertFalse(replies.isEmpty(), "seed " + seed + " got no reply through 30% loss");
            assertEquals(0, net.a.counters().get(Counter.ARP_RESOLUTION_FAILED), "seed " + seed);
            if (net.a.counters().get(Counter.ARP_TX_REQUESTS) > 1)
            {
                seedsNeedingArpRetry++;
            }
        }
        assertTrue(seedsNeedingArpRetry > 0, "no seed exercised an ARP retry");
    }

    @Test
    void bothStacksPingEachOtherAtOnce()
    {
        final TwoStacks net = new TwoStacks();
        final List<Reply> repliesA = new ArrayList<>();
        final List<Reply> repliesB = new ArrayList<>();
        net.a.echoListener((src, id, seq, len, rtt) -> repliesA.add(new Reply(src, id, seq, len, rtt)));
        net.b.echoListener((src, id, seq, len, rtt) -> repliesB.add(new Reply(src, id, seq, len, rtt)));
        for (int seq = 0; seq < 100; seq++)
        {
            net.a.ping(B, 1, seq, 100, net.nowNs());
            net.b.ping(A, 2, seq, 200, net.nowNs());
            net.runFor(10 * MS);
        }
        assertEquals(100, repliesA.size());
        assertEquals(100, repliesB.size());
        assertTrue(repliesA.stream().allMatch(r -> r.source() == B && r.length() == 100));
        assertTrue(repliesB.stream().allMatch(r -> r.source() == A && r.length() == 200));
    }
}
