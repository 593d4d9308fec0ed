package io.tapstack.dev;

import io.tapstack.testkit.Frames;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules of {@link TcpSegmentCoalescer}: what glues into one super-frame and what must not, and that the
 * kernel's segmentation of a super-frame (modelled here as Linux's tcp_gso_segment does it) gives back the very
 * segments the stack sent.
 */
class TcpSegmentCoalescerTest
{
    private static final int A = Ipv4Address.parse("10.0.0.1");
    private static final int B = Ipv4Address.parse("10.0.0.2");
    private static final long MAC_A = 0x02_00_00_00_00_01L;
    private static final long MAC_B = 0x02_00_00_00_00_02L;
    private static final int MSS = 1448;
    /** Timestamps (NOP, NOP, TS 10 bytes): 12 bytes, as the stack sends them. */
    private static final byte[] TS_1 = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 9};
    private static final byte[] TS_2 = {1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 9};

    /** One frame the sink was given. */
    record Sent(byte[] frame, int gsoSize, int headerLength, int checksumStart)
    {
    }

    private final List<Sent> sent = new ArrayList<>();
    private final TcpSegmentCoalescer coalescer = new TcpSegmentCoalescer(this::onSend, 14, 1514, 65535);

    private boolean onSend(final UnsafeBuffer buffer, final int offset, final int length, final int gsoSize,
        final int headerLength, final int checksumStart)
    {
        final byte[] frame = new byte[length];
        buffer.getBytes(offset, frame);
        sent.add(new Sent(frame, gsoSize, headerLength, checksumStart));
        return true;
    }

    private static byte[] segment(final int srcPort, final int seq, final int flags, final byte[] options,
        final int dataLength)
    {
        final byte[] data = new byte[dataLength];
        for (int i = 0; i < dataLength; i++)
        {
            data[i] = (byte)(seq + i);
        }
        return Frames.ipv4(MAC_B, MAC_A, A, B, IpProtocol.TCP, seq & 0xFFFF, Ipv4Header.FLAG_DONT_FRAGMENT,
            Frames.tcp(A, B, srcPort, 80, seq, 777, flags, 5000, options, data));
    }

    private static byte[] data(final int seq, final int dataLength)
    {
        return segment(40000, seq, TcpFlags.ACK, TS_1, dataLength);
    }

    private void send(final byte[] frame)
    {
        final int at = coalescer.claim(frame.length);
        assertTrue(at >= 0, "claimed");
        coalescer.buffer().putBytes(at, frame);
        coalescer.commit(at);
    }

    @Test
    void contiguousFullSegmentsOfOneConnectionGlueIntoOneSuperFrameTheKernelCutsBackExactly()
    {
        final List<byte[]> segments = List.of(data(1000, MSS), data(1000 + MSS, MSS), data(1000 + 2 * MSS, 700));
        segments.forEach(this::send);
        assertEquals(1, sent.size(), "a shorter last segment ends the super-frame at once");
        final Sent superFrame = sent.get(0);
        assertEquals(MSS, superFrame.gsoSize());
        assertEquals(14 + 20 + 32, superFrame.headerLength());
        assertEquals(34, superFrame.checksumStart());
        assertEquals(66 + 2 * MSS + 700, superFrame.frame().length);
        assertEquals(1, coalescer.superFramesSent());
        assertEquals(3, coalescer.segmentsGlued());
        final List<byte[]> cut = gsoSegment(superFrame);
        assertEquals(3, cut.size());
        for (int i = 0; i < 3; i++)
        {
            assertArrayEquals(tcpOf(segments.get(i)), tcpOf(cut.get(i)), "segment " + i);
        }
    }

    @Test
    void aSuperFrameWaitsForTheEndOfTheDutyCycle()
    {
        send(data(1, MSS));
        send(data(1 + MSS, MSS));
        assertEquals(0, sent.size());
        assertTrue(coalescer.hasPending());
        coalescer.flush();
        assertEquals(1, sent.size());
        assertEquals(2, gsoSegment(sent.get(0)).size());
        coalescer.flush();
        assertEquals(1, sent.size(), "nothing left");
    }

    @Test
    void aSegmentAloneGoesAsItWasWrittenWithItsChecksum()
    {
        final byte[] one = data(1, MSS);
        send(one);
        coalescer.flush();
        assertEquals(1, sent.size());
        assertEquals(0, sent.get(0).gsoSize());
        assertArrayEquals(one, sent.get(0).frame());
    }

    @Test
    void pshOrFinGoesOnTheLastSegmentAndEndsTheSuperFrame()
    {
        final byte[] last = segment(40000, 1 + MSS, TcpFlags.ACK | TcpFlags.PSH | TcpFlags.FIN, TS_1, MSS);
        send(data(1, MSS));
        send(last);
        send(data(1 + 2 * MSS + 1, MSS)); // after the FIN: a new run
        coalescer.flush();
        assertEquals(2, sent.size());
        final List<byte[]> cut = gsoSegment(sent.get(0));
        assertEquals(TcpFlags.ACK, Frames.parse(cut.get(0)).tcp().flags());
        assertEquals(TcpFlags.ACK | TcpFlags.PSH | TcpFlags.FIN, Frames.parse(cut.get(1)).tcp().flags());
        assertArrayEquals(tcpOf(last), tcpOf(cut.get(1)));
    }

    @Test
    void aSegmentWithPshFirstGoesAloneAtOnce()
    {
        send(segment(40000, 1, TcpFlags.ACK | TcpFlags.PSH, TS_1, MSS));
        assertEquals(1, sent.size());
        assertEquals(0, sent.get(0).gsoSize());
    }

    @Test
    void otherFlagsDoNotGlue()
    {
        send(data(1, MSS));
        send(segment(40000, 1 + MSS, TcpFlags.ACK | TcpFlags.URG, TS_1, MSS));
        send(segment(40000, 1 + 2 * MSS, TcpFlags.ACK | TcpFlags.ECE, TS_1, MSS));
        coalescer.flush();
        assertEquals(3, sent.size());
        sent.forEach(s -> assertEquals(0, s.gsoSize()));
    }

    @Test
    void aGapOrARetransmissionDoesNotGlue()
    {
        send(data(1, MSS));
        send(data(1 + 2 * MSS, MSS)); // a gap of one segment
        send(data(1, MSS)); // a retransmission
        coalescer.flush();
        assertEquals(3, sent.size());
    }

    @Test
    void otherOptionsDoNotGlue()
    {
        send(data(1, MSS));
        send(segment(40000, 1 + MSS, TcpFlags.ACK, TS_2, MSS)); // the timestamp moved on
        coalescer.flush();
        assertEquals(2, sent.size());
    }

    @Test
    void anotherConnectionDoesNotGlue()
    {
        send(data(1, MSS));
        send(segment(40001, 1 + MSS, TcpFlags.ACK, TS_1, MSS));
        coalescer.flush();
        assertEquals(2, sent.size());
    }

    @Test
    void aLongerSegmentThanTheFirstDoesNotGlueAndAPureAckNeverDoes()
    {
        send(data(1, 500));
        send(data(501, MSS));
        coalescer.flush();
        send(segment(40000, 501 + MSS, TcpFlags.ACK, TS_1, 0));
        assertEquals(3, sent.size());
    }

    @Test
    void otherFramesSendThePendingSuperFrameFirstAndKeepTheOrder()
    {
        send(data(1, MSS));
        send(data(1 + MSS, MSS));
        final byte[] arp = Frames.arp(1, -1L & 0xFFFF_FFFF_FFFFL, MAC_A, A, 0, B);
        send(arp);
        assertEquals(2, sent.size());
        assertEquals(MSS, sent.get(0).gsoSize());
        assertArrayEquals(arp, sent.get(1).frame());
        assertEquals(EtherType.ARP, Frames.parse(sent.get(1).frame()).etherType());
    }

    @Test
    void aSuperFrameNeverPassesTheIpv4LimitOf65535Bytes()
    {
        final int segments = 100;
        for (int i = 0; i < segments; i++)
        {
            send(data(1 + i * MSS, MSS));
        }
        coalescer.flush();
        int total = 0;
        for (final Sent s : sent)
        {
            assertTrue(s.frame().length - 14 <= 65535, "IPv4 total length " + (s.frame().length - 14));
            total += s.frame().length - s.headerLength();
        }
        assertEquals(segments * MSS, total);
        assertEquals(45, (65535 - 52) / MSS, "segments of 1448 bytes one super-frame holds");
        assertEquals(45 * MSS + 66, sent.get(0).frame().length);
        assertEquals(3, sent.size());
    }

    @Test
    void aSmallerLimitIsKept()
    {
        final List<Sent> out = new ArrayList<>();
        final TcpSegmentCoalescer small = new TcpSegmentCoalescer((b, o, l, g, h, c) ->
        {
            final byte[] f = new byte[l];
            b.getBytes(o, f);
            return out.add(new Sent(f, g, h, c));
        }, 14, 1514, 4000);
        for (int i = 0; i < 6; i++)
        {
            final byte[] f = data(1 + i * MSS, MSS);
            final int at = small.claim(f.length);
            small.buffer().putBytes(at, f);
            small.commit(at);
        }
        small.flush();
        assertEquals(3, out.size(), "two segments (2,948 bytes of IPv4) each");
        out.forEach(s -> assertEquals(2 * MSS + 66, s.frame().length));
    }

    /** The TCP part of a frame with its IP header's fields that segmentation may change left out. */
    private static byte[] tcpOf(final byte[] frame)
    {
        final Frames f = Frames.parse(frame);
        return f.l4();
    }

    /**
     * Linux's TSO as a virtio-net device does it: the partial checksum completed over each cut segment, each
     * with a copy of the headers, its own sequence number, PSH and FIN only on the last. Each segment's IPv4 and
     * TCP checksums must verify.
     */
    private static List<byte[]> gsoSegment(final Sent s)
    {
        final byte[] frame = s.frame();
        final UnsafeBuffer in = new UnsafeBuffer(frame);
        final int headerLength = s.headerLength();
        final int tcp = s.checksumStart();
        // the partial checksum is the pseudo-header sum of the whole segment: check it is what Linux expects
        final int tcpLength = frame.length - tcp;
        assertEquals(Checksum.fold(Checksum.pseudoHeaderSum(A, B, IpProtocol.TCP, tcpLength)),
            in.getShort(tcp + 16, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF, "partial checksum");
        assertTrue(new Ipv4Header().wrap(in, 14, frame.length - 14).validate() == Ipv4Header.Verdict.OK);
        // NEEDS_CSUM completed as a receiver would: the checksum over csum_start.. with the partial sum in place
        final UnsafeBuffer completed = new UnsafeBuffer(frame.clone());
        completed.putShort(tcp + 16, (short)Checksum.finish(Checksum.sum(completed, tcp, tcpLength, 0)),
            java.nio.ByteOrder.BIG_ENDIAN);
        assertEquals(TcpHeader.Verdict.OK, new TcpHeader().wrap(completed, tcp, tcpLength).validate(A, B));
        final int seq0 = in.getInt(tcp + TcpHeader.SEQUENCE_OFFSET, java.nio.ByteOrder.BIG_ENDIAN);
        final int flags = in.getByte(tcp + TcpHeader.FLAGS_OFFSET);
        final List<byte[]> out = new ArrayList<>();
        for (int at = headerLength; at < frame.length; at += s.gsoSize())
        {
            final int payload = Math.min(s.gsoSize(), frame.length - at);
            final boolean last = at + payload == frame.length;
            final byte[] seg = Arrays.copyOf(frame, headerLength + payload);
            System.arraycopy(frame, at, seg, headerLength, payload);
            final UnsafeBuffer b = new UnsafeBuffer(seg);
            final Ipv4Header ip = new Ipv4Header().wrap(b, 14, seg.length - 14);
            ip.totalLength(seg.length - 14);
            ip.updateChecksum();
            b.putInt(tcp + TcpHeader.SEQUENCE_OFFSET, seq0 + (at - headerLength), java.nio.ByteOrder.BIG_ENDIAN);
            b.putByte(tcp + TcpHeader.FLAGS_OFFSET,
                (byte)(last ? flags : flags & ~(TcpFlags.PSH | TcpFlags.FIN)));
            final TcpHeader th = new TcpHeader().wrap(b, tcp, seg.length - tcp);
            th.updateChecksum(A, B);
            assertEquals(TcpHeader.Verdict.OK, th.validate(A, B));
            out.add(seg);
        }
        return out;
    }
}
