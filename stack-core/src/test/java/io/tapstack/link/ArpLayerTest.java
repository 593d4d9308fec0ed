package io.tapstack.link;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArpLayerTest
{
    private static final long SECOND = 1_000_000_000L;

    @Test
    void announcesItselfWithAGratuitousArpAtStart()
    {
        final SingleStack s = new SingleStack();
        s.step();
        final List<Frames> out = s.sent();
        assertEquals(1, out.size());
        final Frames f = out.get(0);
        assertTrue(f.isArp());
        assertEquals(MacAddress.BROADCAST, f.ethDestination());
        assertEquals(ArpPacket.OPER_REQUEST, f.arpOper());
        assertEquals(STACK_IP, f.arpSpa());
        assertEquals(STACK_IP, f.arpTpa());
        assertEquals(STACK_MAC, f.arpSha());
    }

    @Test
    void answersARequestForItsAddressAndLearnsTheAsker()
    {
        final SingleStack s = new SingleStack();
        s.step();
        s.sent();
        s.inject(Frames.arp(ArpPacket.OPER_REQUEST, MacAddress.BROADCAST, PEER_MAC, PEER_IP, 0, STACK_IP));
        final List<Frames> out = s.sent();
        assertEquals(1, out.size());
        final Frames reply = out.get(0);
        assertEquals(PEER_MAC, reply.ethDestination());
        assertEquals(STACK_MAC, reply.ethSource());
        assertEquals(ArpPacket.OPER_REPLY, reply.arpOper());
        assertEquals(STACK_MAC, reply.arpSha());
        assertEquals(STACK_IP, reply.arpSpa());
        assertEquals(PEER_MAC, reply.arpTha());
        assertEquals(PEER_IP, reply.arpTpa());
        assertEquals(PEER_MAC, s.stack.arp().lookup(PEER_IP, s.clock.nanoTime()));
    }

    @Test
    void ignoresRequestsForOtherAddressesAndLearnsNothingNew()
    {
        final SingleStack s = new SingleStack();
        s.step();
        s.sent();
        s.inject(Frames.arp(ArpPacket.OPER_REQUEST, MacAddress.BROADCAST, PEER_MAC, PEER_IP, 0,
            Ipv4Address.parse("10.0.0.99")));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.ARP_IGNORED_NOT_FOR_US));
        // RFC 826: only an existing entry is updated by a packet not for us
        assertEquals(ArpCache.NONE, s.stack.arp().lookup(PEER_IP, s.clock.nanoTime()));
    }

    @Test
    void retriesAtTheConfiguredIntervalThenDropsWhatWaited()
    {
        final SingleStack s = new SingleStack(c -> c.arpRetries(2).arpRetryIntervalNs(500_000_000L));
        s.step();
        s.sent();
        final long start = s.clock.nanoTime();
        s.stack.ping(PEER_IP, 1, 1, 56, s.clock.nanoTime());
        s.stack.ping(PEER_IP, 1, 2, 56, s.clock.nanoTime());
        assertEquals(2, s.stack.arp().queuedPackets());

        final List<Long> requestTimes = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++)
        {
            for (final Frames f : s.sent())
            {
                assertTrue(f.isArp());
                assertEquals(PEER_IP, f.arpTpa());
                requestTimes.add(s.clock.nanoTime() - start);
            }
            s.advance(100_000_000L);
        }
        // the first request at once, then two retries 500 ms apart, then give up at 1.5 s
        assertEquals(List.of(0L, 500_000_000L, 1_000_000_000L), requestTimes);
        assertEquals(1, s.stack.counters().get(Counter.ARP_RESOLUTION_FAILED));
        assertEquals(2, s.stack.counters().get(Counter.ARP_UNRESOLVED_DROPS));
        assertEquals(0, s.stack.arp().queuedPackets());
    }

    @Test
    void sendsQueuedPacketsInOrderOnceResolved()
    {
        final SingleStack s = new SingleStack();
        s.step();
        s.sent();
        for (int seq = 1; seq <= 5; seq++)
        {
            s.stack.ping(PEER_IP, 1, seq, 56, s.clock.nanoTime());
        }
        assertEquals(1, s.sent().size()); // one ARP request for five packets
        s.inject(Frames.arp(ArpPacket.OPER_REPLY, STACK_MAC, PEER_MAC, PEER_IP, STACK_MAC, STACK_IP));
        final List<Frames> out = s.sent();
        assertEquals(5, out.size());
        for (int i = 0; i < 5; i++)
        {
            assertEquals(PEER_MAC, out.get(i).ethDestination());
            assertEquals(i + 1, out.get(i).icmpSeq());
        }
        assertEquals(1, s.stack.counters().get(Counter.ARP_RESOLVED));
    }

    @Test
    void boundsTheQueueAndCountsWhatItDrops()
    {
        final SingleStack s = new SingleStack(c -> c.arpQueueFrames(3));
        s.step();
        s.sent();
        for (int seq = 1; seq <= 5; seq++)
        {
            s.stack.ping(PEER_IP, 1, seq, 56, s.clock.nanoTime());
        }
        assertEquals(3, s.stack.arp().queuedPackets());
        assertEquals(2, s.stack.counters().get(Counter.ARP_QUEUE_FULL_DROPS));
    }

    /** A frame the stack sent, and when (relative to the start of {@link #pingEvery}). */
    private record Sent(long atNs, Frames frame)
    {
    }

    /** Pings the peer every {@code periodNs} for {@code durationNs}; every frame the stack sent meanwhile. */
    private static List<Sent> pingEvery(final SingleStack s, final long periodNs, final long durationNs)
    {
        final List<Sent> out = new java.util.ArrayList<>();
        final long start = s.clock.nanoTime();
        int seq = 0;
        while (s.clock.nanoTime() - start < durationNs)
        {
            s.stack.ping(PEER_IP, 1, ++seq, 56, s.clock.nanoTime());
            final long tick = s.clock.nanoTime();
            while (s.clock.nanoTime() < tick + periodNs)
            {
                for (final Frames f : s.sent())
                {
                    out.add(new Sent(s.clock.nanoTime() - start, f));
                }
                s.advance(Math.min(100_000_000L, tick + periodNs - s.clock.nanoTime()));
            }
        }
        for (final Frames f : s.sent())
        {
            out.add(new Sent(s.clock.nanoTime() - start, f));
        }
        return out;
    }

    private static List<Long> arpTimes(final List<Sent> sent, final long ethDestination)
    {
        return sent.stream().filter(x -> x.frame().isArp() && x.frame().ethDestination() == ethDestination)
            .map(Sent::atNs).toList();
    }

    private static void assertEveryPingWentStraightToThePeer(final List<Sent> sent, final int pings)
    {
        final List<Frames> icmp = sent.stream().map(Sent::frame).filter(Frames::isIcmp).toList();
        assertEquals(pings, icmp.size(), "one echo request per ping, none held back");
        for (final Frames f : icmp)
        {
            assertEquals(PEER_MAC, f.ethDestination());
        }
    }

    /** A stack that learned the peer at time 0 and whose entry went stale at 10 s (5 s delay, 3 + 1 probes). */
    private static SingleStack stackWithAStaleEntry()
    {
        final SingleStack s = new SingleStack(c -> c.arpCacheTtlNs(10 * SECOND).arpDelayFirstProbeNs(5 * SECOND)
            .arpUnicastProbes(3).arpBroadcastProbes(1).arpRetryIntervalNs(SECOND));
        s.step();
        s.sent();
        s.learnPeer();
        s.advance(11 * SECOND);
        assertTrue(s.sent().isEmpty(), "an entry nobody uses is re-validated by nobody");
        return s;
    }

    // RFC 1122 §2.3.2.1: prevent stale entries (unicast poll); Linux's STALE, DELAY, PROBE, REACHABLE
    @Test
    void keepsUsingAnEntryPastItsLifetimeWhileAUnicastPollRevalidatesIt()
    {
        final SingleStack s = stackWithAStaleEntry();
        final long start = s.clock.nanoTime();

        final List<Sent> beforeReply = pingEvery(s, 500_000_000L, 6_500_000_000L);
        assertEveryPingWentStraightToThePeer(beforeReply, 13);
        // the first use starts DELAY; 5 s without confirmation, then one unicast poll a second, to the known MAC
        assertEquals(List.of(5 * SECOND, 6 * SECOND), arpTimes(beforeReply, PEER_MAC));
        assertEquals(List.of(), arpTimes(beforeReply, MacAddress.BROADCAST));
        for (final Frames f : beforeReply.stream().map(Sent::frame).filter(Frames::isArp).toList())
        {
            assertEquals(ArpPacket.OPER_REQUEST, f.arpOper());
            assertEquals(PEER_IP, f.arpTpa());
            assertEquals(STACK_IP, f.arpSpa());
        }
        assertEquals(0, s.stack.arp().queuedPackets());
        assertEquals(0, s.stack.counters().get(Counter.ARP_QUEUED));
        assertEquals(1, s.stack.counters().get(Counter.ARP_REVALIDATIONS));
        assertEquals(2, s.stack.counters().get(Counter.ARP_TX_UNICAST_POLLS));

        // the peer answers the poll: reachable for another lifetime, and no more polls
        s.inject(Frames.arp(ArpPacket.OPER_REPLY, STACK_MAC, PEER_MAC, PEER_IP, STACK_MAC, STACK_IP));
        assertEquals(1, s.stack.counters().get(Counter.ARP_REVALIDATED));
        assertEquals(6_500_000_000L, s.clock.nanoTime() - start);
        final List<Sent> afterReply = pingEvery(s, 500_000_000L, 9 * SECOND);
        assertEveryPingWentStraightToThePeer(afterReply, 18);
        assertTrue(afterReply.stream().noneMatch(x -> x.frame().isArp()), "no poll while reachable: " + afterReply);
        assertEquals(1, s.stack.counters().get(Counter.ARP_REVALIDATIONS));
        assertEquals(0, s.stack.counters().get(Counter.ARP_REVALIDATION_FAILED));
        assertEquals(0, s.stack.counters().get(Counter.ARP_QUEUED));
    }

    @Test
    void dropsAnEntryWhoseNeighbourAnswersNoPollThenResolvesItAfresh()
    {
        final SingleStack s = stackWithAStaleEntry();

        final List<Sent> probing = pingEvery(s, 500_000_000L, 9 * SECOND);
        // still used throughout: three unicast polls, then a broadcast request in case the address moved
        assertEveryPingWentStraightToThePeer(probing, 18);
        assertEquals(List.of(5 * SECOND, 6 * SECOND, 7 * SECOND), arpTimes(probing, PEER_MAC));
        assertEquals(List.of(8 * SECOND), arpTimes(probing, MacAddress.BROADCAST));
        assertEquals(0, s.stack.counters().get(Counter.ARP_QUEUED));

        // RFC 1122 §2.3.2.1: no answer to any poll deletes the entry (at 9 s, a retry interval after the last)
        assertEquals(1, s.stack.counters().get(Counter.ARP_REVALIDATION_FAILED));
        assertEquals(0, s.stack.counters().get(Counter.ARP_REVALIDATED));
        assertEquals(ArpCache.NONE, s.stack.arp().cache().lookup(PEER_IP));

        // from then on, as for a next hop never seen: the packet waits for a broadcast resolution
        s.stack.ping(PEER_IP, 1, 100, 56, s.clock.nanoTime());
        assertEquals(1, s.stack.arp().queuedPackets());
        final List<Frames> request = s.sent();
        assertEquals(1, request.size());
        assertTrue(request.get(0).isArp());
        assertEquals(MacAddress.BROADCAST, request.get(0).ethDestination());
        final long newMac = 0x0200_0000_0042L;
        s.inject(Frames.arp(ArpPacket.OPER_REPLY, STACK_MAC, newMac, PEER_IP, STACK_MAC, STACK_IP));
        final List<Frames> out = s.sent();
        assertEquals(1, out.size());
        assertEquals(newMac, out.get(0).ethDestination());
        assertEquals(100, out.get(0).icmpSeq());
        assertEquals(1, s.stack.counters().get(Counter.ARP_RESOLVED));
    }

    @Test
    void anUpperLayerConfirmationDuringTheDelaySavesThePoll()
    {
        final SingleStack s = stackWithAStaleEntry();
        s.stack.ping(PEER_IP, 1, 1, 56, s.clock.nanoTime());
        assertEquals(1, s.stack.counters().get(Counter.ARP_REVALIDATIONS));
        s.advance(2 * SECOND);
        // RFC 1122 §2.3.2.1 "advice from higher layers", e.g. a TCP ACK of new data
        s.stack.arp().confirmReachable(PEER_IP, s.clock.nanoTime());
        assertEquals(1, s.stack.counters().get(Counter.ARP_REVALIDATED));
        final List<Sent> after = pingEvery(s, SECOND, 9 * SECOND);
        assertTrue(after.stream().noneMatch(x -> x.frame().isArp()), "no poll: " + after);
        assertEquals(0, s.stack.counters().get(Counter.ARP_TX_UNICAST_POLLS));
        assertEquals(1, s.stack.counters().get(Counter.ARP_REVALIDATIONS));
    }

    @Test
    void withoutProbesAStaleEntryInUseIsDroppedAfterTheDelay()
    {
        final SingleStack s = new SingleStack(c -> c.arpCacheTtlNs(10 * SECOND).arpDelayFirstProbeNs(SECOND)
            .arpUnicastProbes(0).arpBroadcastProbes(0));
        s.step();
        s.sent();
        s.learnPeer();
        s.advance(11 * SECOND);
        s.stack.ping(PEER_IP, 1, 1, 56, s.clock.nanoTime());
        assertEquals(PEER_MAC, s.sent().get(0).ethDestination());
        s.advance(SECOND);
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.ARP_REVALIDATION_FAILED));
        assertEquals(ArpCache.NONE, s.stack.arp().lookup(PEER_IP, s.clock.nanoTime()));
    }

    @Test
    void boundsTheCacheByEvictingTheOldestEntry()
    {
        final SingleStack s = new SingleStack(c -> c.arpCacheEntries(4));
        s.step();
        s.sent();
        for (int host = 10; host < 16; host++)
        {
            s.clock.advanceNs(1_000);
            s.inject(Frames.arp(ArpPacket.OPER_REQUEST, MacAddress.BROADCAST, 0x0200_0000_0000L + host,
                Ipv4Address.parse("10.0.0." + host), 0, STACK_IP));
        }
        assertEquals(4, s.stack.arp().cache().size());
        assertEquals(2, s.stack.counters().get(Counter.ARP_CACHE_EVICTIONS));
        assertEquals(ArpCache.NONE, s.stack.arp().lookup(Ipv4Address.parse("10.0.0.10"), s.clock.nanoTime()));
        assertEquals(0x0200_0000_000FL, s.stack.arp().lookup(Ipv4Address.parse("10.0.0.15"), s.clock.nanoTime()));
    }

    @Test
    void anUpperLayerCanTeachAMappingSoPacketsGoStraightToThatMac()
    {
        final SingleStack s = new SingleStack();
        s.step();
        s.sent();
        final int client = Ipv4Address.parse("10.0.0.50");
        final long clientMac = MacAddress.parse("02:00:00:00:00:50");
        // RFC 2131 §4.1: a DHCP server unicasts to chaddr before the client answers ARP
        assertTrue(s.stack.arp().learn(client, clientMac, s.clock.nanoTime()));
        s.stack.ping(client, 1, 1, 56, s.clock.nanoTime());
        final List<Frames> out = s.sent();
        assertEquals(1, out.size());
        assertTrue(out.get(0).isIcmp());
        assertEquals(clientMac, out.get(0).ethDestination());
        assertEquals(0, s.stack.counters().get(Counter.ARP_TX_REQUESTS));
    }

    @Test
    void anUpperLayerCannotTeachABroadcastMacOrOurOwnAddress()
    {
        final SingleStack s = new SingleStack();
        final long now = s.clock.nanoTime();
        assertFalse(s.stack.arp().learn(Ipv4Address.parse("10.0.0.50"), MacAddress.BROADCAST, now));
        assertFalse(s.stack.arp().learn(STACK_IP, PEER_MAC, now));
        assertFalse(s.stack.arp().learn(0, PEER_MAC, now));
        assertEquals(ArpCache.NONE, s.stack.arp().lookup(Ipv4Address.parse("10.0.0.50"), now));
    }

    @Test
    void countsAnotherHostClaimingOurAddress()
    {
        final SingleStack s = new SingleStack();
        s.inject(Frames.arp(ArpPacket.OPER_REQUEST, MacAddress.BROADCAST, PEER_MAC, STACK_IP, 0, STACK_IP));
        assertEquals(1, s.stack.counters().get(Counter.ARP_ADDRESS_CONFLICTS));
    }

    @Test
    void dropsMalformedArpWithoutThrowing()
    {
        final SingleStack s = new SingleStack();
        final byte[] shortFrame = new byte[20];
        shortFrame[12] = 0x08;
        shortFrame[13] = 0x06;
        for (int i = 0; i < 6; i++)
        {
            shortFrame[i] = (byte)0xFF;
        }
        s.inject(shortFrame);
        final byte[] badOper = Frames.arp(7, MacAddress.BROADCAST, PEER_MAC, PEER_IP, 0, STACK_IP);
        s.inject(badOper);
        assertEquals(1, s.stack.counters().get(Counter.ARP_DROP_TOO_SHORT));
        assertEquals(1, s.stack.counters().get(Counter.ARP_DROP_BAD_OPERATION));
    }
}
