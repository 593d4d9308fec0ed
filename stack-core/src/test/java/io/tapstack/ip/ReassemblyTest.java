package io.tapstack.ip;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IPv4 reassembly, named after gVisor's packetimpact cases: basic, duplicate, out of order, overlap, subset. */
class ReassemblyTest
{
    private static final long SECOND = 1_000_000_000L;
    private SingleStack s;

    @BeforeEach
    void learnPeer()
    {
        s = new SingleStack(c -> c.reassemblyMemoryBytes(4 * 65_600));
        s.step();
        s.sent();
        s.learnPeer();
    }

    private static byte[] echo(final int dataLength, final int seq)
    {
        final byte[] data = new byte[dataLength];
        new Random(seq).nextBytes(data);
        return Frames.icmp(IcmpMessage.TYPE_ECHO_REQUEST, 0, 1, seq, data);
    }

    private List<byte[]> fragmentsOf(final byte[] icmp, final int id, final int piece)
    {
        return Frames.fragments(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.ICMP, id, icmp, piece);
    }

    /** Reassembles the stack's (possibly fragmented) reply and returns its ICMP bytes. */
    private byte[] replyBytes()
    {
        final List<Frames> out = s.sent();
        final int total = out.stream().mapToInt(f -> f.l4().length).sum();
        final byte[] whole = new byte[total];
        for (final Frames f : out)
        {
            assertEquals(PEER_IP, f.ipDestination());
            final int offset = (f.ipFlagsFragment() & Ipv4Header.FRAGMENT_OFFSET_MASK) * 8;
            System.arraycopy(f.l4(), 0, whole, offset, f.l4().length);
        }
        return whole;
    }

    private static void assertIsReplyTo(final byte[] request, final byte[] reply)
    {
        assertEquals(request.length, reply.length);
        assertEquals(IcmpMessage.TYPE_ECHO_REPLY, reply[0]);
        // everything after type and checksum is the request's
        assertArrayEquals(java.util.Arrays.copyOfRange(request, 4, request.length),
            java.util.Arrays.copyOfRange(reply, 4, reply.length));
    }

    @Test
    void basic()
    {
        final byte[] request = echo(3000, 1);
        fragmentsOf(request, 100, 1480).forEach(s::inject);
        assertIsReplyTo(request, replyBytes());
        assertEquals(1, s.stack.counters().get(Counter.IP_REASSEMBLED));
    }

    @Test
    void outOfOrder()
    {
        final byte[] request = echo(10_000, 2);
        final List<byte[]> fragments = new ArrayList<>(fragmentsOf(request, 101, 512));
        Collections.shuffle(fragments, new Random(5));
        fragments.forEach(s::inject);
        assertIsReplyTo(request, replyBytes());
    }

    @Test
    void duplicateFragmentsAreHarmless()
    {
        final byte[] request = echo(4000, 3);
        final List<byte[]> fragments = fragmentsOf(request, 102, 1480);
        s.inject(fragments.get(0));
        s.inject(fragments.get(0));
        s.inject(fragments.get(1));
        s.inject(fragments.get(1));
        s.inject(fragments.get(2));
        assertIsReplyTo(request, replyBytes());
        assertEquals(1, s.stack.counters().get(Counter.IP_REASSEMBLED));
    }

    @Test
    void subsetAndOverlapWithTheSameBytesAreAccepted()
    {
        final byte[] request = echo(2000, 4);
        final List<byte[]> big = fragmentsOf(request, 103, 1008);
        final List<byte[]> small = fragmentsOf(request, 103, 504);
        s.inject(big.get(0));   // 0..1008
        s.inject(small.get(1)); // 504..1008: a subset
        s.inject(small.get(2)); // 1008..1512
        s.inject(big.get(1));   // 1008..2008: overlaps the previous, same bytes
        assertIsReplyTo(request, replyBytes());
    }

    @Test
    void overlapWithDifferentBytesDropsTheDatagram()
    {
        final byte[] request = echo(2000, 5);
        final List<byte[]> fragments = fragmentsOf(request, 104, 1008);
        final byte[] forged = echo(2000, 6);
        s.inject(fragments.get(0));
        s.inject(fragmentsOf(forged, 104, 504).get(1)); // 504..1008, other bytes
        s.inject(fragments.get(1));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, s.stack.counters().get(Counter.IP_REASM_DROP_OVERLAP_MISMATCH));
        assertEquals(0, s.stack.counters().get(Counter.IP_REASSEMBLED));
    }

    @Test
    void datagramsLongerThan65535BytesAreDropped()
    {
        // the "ping of death": the last fragment ends past 65,535
        final byte[] piece = new byte[1000];
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.ICMP, 105, 65000 >>> 3, piece));
        assertEquals(1, s.stack.counters().get(Counter.IP_REASM_DROP_OVERSIZE));
        assertTrue(s.sent().isEmpty());
    }

    @Test
    void nonFinalFragmentsMustCarryAMultipleOfEightBytes()
    {
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.ICMP, 106,
            Ipv4Header.FLAG_MORE_FRAGMENTS, new byte[100]));
        assertEquals(1, s.stack.counters().get(Counter.IP_REASM_DROP_INVALID));
    }

    @Test
    void timesOutAndSendsTimeExceededWhenTheFirstFragmentArrived()
    {
        final byte[] request = echo(3000, 7);
        final List<byte[]> fragments = fragmentsOf(request, 107, 1480);
        s.inject(fragments.get(0));
        s.inject(fragments.get(2));
        s.advance(29 * SECOND);
        assertTrue(s.sent().isEmpty());
        s.advance(2 * SECOND);
        final List<Frames> out = s.sent();
        assertEquals(1, out.size());
        assertEquals(IcmpMessage.TYPE_TIME_EXCEEDED, out.get(0).icmpType());
        assertEquals(IcmpMessage.CODE_REASSEMBLY_TIME_EXCEEDED, out.get(0).icmpCode());
        assertEquals(1, s.stack.counters().get(Counter.IP_REASM_TIMEOUTS));
        // the late fragment starts a new datagram, which then times out silently (no fragment zero)
        s.inject(fragments.get(1));
        s.advance(31 * SECOND);
        assertTrue(s.sent().isEmpty());
        assertEquals(2, s.stack.counters().get(Counter.IP_REASM_TIMEOUTS));
    }

    @Test
    void memoryBoundEvictsTheOldestDatagram()
    {
        final int capacity = s.stack.ipv4().reassembler().capacity();
        assertEquals(4, capacity);
        for (int id = 0; id <= capacity; id++)
        {
            s.clock.advanceNs(1_000);
            s.inject(fragmentsOf(echo(3000, id), 200 + id, 1480).get(0));
        }
        assertEquals(1, s.stack.counters().get(Counter.IP_REASM_EVICTIONS));
        assertEquals(capacity, s.stack.ipv4().reassembler().inProgress());
        // the newest ones complete; the evicted first one does not
        final byte[] newest = echo(3000, capacity);
        fragmentsOf(newest, 200 + capacity, 1480).stream().skip(1).forEach(s::inject);
        assertIsReplyTo(newest, replyBytes());
        fragmentsOf(echo(3000, 0), 200, 1480).stream().skip(1).forEach(s::inject);
        assertTrue(s.sent().isEmpty());
    }

    @Test
    void fragmentsOfDifferentDatagramsDoNotMix()
    {
        final byte[] first = echo(3000, 8);
        final byte[] second = echo(3000, 9);
        final List<byte[]> a = fragmentsOf(first, 300, 1480);
        final List<byte[]> b = fragmentsOf(second, 301, 1480);
        for (int i = 0; i < a.size(); i++)
        {
            s.inject(a.get(i));
            s.inject(b.get(i));
        }
        assertEquals(2, s.stack.counters().get(Counter.IP_REASSEMBLED));
        final List<Frames> out = s.sent();
        assertEquals(2 * 3, out.size());
    }
}
