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

    @Test
    void resolvesAgainAfterTheCacheEntryExpires()
    {
        final SingleStack s = new SingleStack(c -> c.arpCacheTtlNs(10 * SECOND));
        s.step();
        s.sent();
        s.learnPeer();
        s.stack.ping(PEER_IP, 1, 1, 56, s.clock.nanoTime());
        assertTrue(s.sent().get(0).isIcmp());
        s.advance(11 * SECOND);
        s.stack.ping(PEER_IP, 1, 2, 56, s.clock.nanoTime());
        final Frames f = s.sent().get(0);
        assertTrue(f.isArp());
        assertEquals(PEER_IP, f.arpTpa());
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
