package io.tapstack.dev;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.testkit.Frames;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.MacAddress;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checksum offload on send (virtio-net NEEDS_CSUM, RFC 9293 §3.1's checksum finished by the device): when the device
 * says yes to {@link FrameDevice#offloadTcpChecksums}, each TCP segment leaves with only the pseudo-header sum in
 * its checksum field and goes to the device marked with where its TCP header starts, a segment alone as well as a
 * super-frame; when it says no (or an impairment stands in front of it) every checksum is complete, as before.
 */
class TcpChecksumOffloadTest
{
    private static final int PEER = Ipv4Address.parse("10.0.0.1");
    private static final int US = Ipv4Address.parse("10.0.0.2");
    private static final long PEER_MAC = MacAddress.parse("02:00:00:00:00:01");
    private static final long OUR_MAC = MacAddress.parse("02:00:00:00:00:02");

    /** One frame as the coalescer handed it to the device: bytes, gso_size, csum_start (0: complete). */
    record Sent(byte[] frame, int gsoSize, int headerLength, int checksumStart)
    {
        boolean isTcp()
        {
            return frame.length > 34 && (frame[12] & 0xFF) == 0x08 && frame[13] == 0 && frame[23] == IpProtocol.TCP;
        }

        /** The MSS-sized segments in it: one, or what the kernel cuts a super-frame into. */
        int segments()
        {
            return gsoSize == 0 ? 1 : (frame.length - headerLength + gsoSize - 1) / gsoSize;
        }

        int tcpFlags()
        {
            return frame[14 + 20 + TcpHeader.FLAGS_OFFSET] & 0xFF;
        }
    }

    /** A device with a coalescer in front, as a TAP with TSO4 and CSUM; it says yes to the offload if asked to. */
    static final class OffloadingDevice implements FrameDevice, TcpSegmentCoalescer.Sink
    {
        final boolean offloads;
        final TcpSegmentCoalescer coalescer = new TcpSegmentCoalescer(this, 14, 1514,
            TcpSegmentCoalescer.MAX_DATAGRAM_LENGTH);
        final ArrayDeque<byte[]> toDeliver = new ArrayDeque<>();
        final List<Sent> sent = new ArrayList<>();

        OffloadingDevice(final boolean offloads)
        {
            this.offloads = offloads;
        }

        @Override
        public boolean send(final UnsafeBuffer buffer, final int offset, final int length, final int gsoSize,
            final int headerLength, final int checksumStart)
        {
            final byte[] frame = new byte[length];
            buffer.getBytes(offset, frame);
            sent.add(new Sent(frame, gsoSize, headerLength, checksumStart));
            return true;
        }

        @Override
        public boolean offloadTcpChecksums()
        {
            coalescer.partialTcpChecksums(offloads);
            return offloads;
        }

        @Override
        public int receive(final long nowNs, final FrameHandler handler, final int limit)
        {
            int n = 0;
            while (!toDeliver.isEmpty() && n < limit)
            {
                final byte[] frame = toDeliver.poll();
                handler.onFrame(new UnsafeBuffer(frame), 0, frame.length, nowNs);
                n++;
            }
            return n;
        }

        @Override
        public int claim(final int length)
        {
            return coalescer.claim(length);
        }

        @Override
        public MutableDirectBuffer transmitBuffer()
        {
            return coalescer.buffer();
        }

        @Override
        public void commit(final int offset)
        {
            coalescer.commit(offset);
        }

        @Override
        public void abort(final int offset)
        {
            coalescer.abort(offset);
        }

        @Override
        public void flush()
        {
            coalescer.flush();
        }

        @Override
        public int maxFrameLength()
        {
            return 1514;
        }
    }

    private long now = 1_000_000_000L;

    /** Peer's ARP request, its SYN, its ACK of our SYN-ACK, then 3,000 bytes from our side (3 segments). */
    private List<Sent> connectAndSend(final FrameDevice device, final OffloadingDevice inner)
    {
        return connectAndSend(device, inner, 3000);
    }

    /** The same with {@code length} bytes: 1,000 go in one data segment alone, 3,000 in a super-frame of three. */
    private List<Sent> connectAndSend(final FrameDevice device, final OffloadingDevice inner, final int length)
    {
        final NetStack stack = new NetStack(new StackConfig().ipAddress("10.0.0.2/24").macAddress(OUR_MAC).seed(1),
            device);
        final byte[] data = new byte[length];
        for (int i = 0; i < data.length; i++)
        {
            data[i] = (byte)(i * 7);
        }
        stack.tcp().listen(80, l -> l.accept().handler(new TcpHandler()
        {
        }).write(data, 0, data.length));
        stack.doWork(now);
        inner.toDeliver.add(Frames.arp(ArpPacket.OPER_REQUEST, MacAddress.BROADCAST, PEER_MAC, PEER, 0, US));
        inner.toDeliver.add(Frames.ipv4(OUR_MAC, PEER_MAC, PEER, US, IpProtocol.TCP, 1, Ipv4Header.FLAG_DONT_FRAGMENT,
            Frames.tcp(PEER, US, 40000, 80, 100, 0, TcpFlags.SYN, 65535, new byte[] {2, 4, 0x05, (byte)0xB4},
                new byte[0])));
        stack.doWork(now += 1_000_000);
        final Sent synAck = inner.sent.stream().filter(Sent::isTcp).findFirst().orElseThrow();
        final int iss = new UnsafeBuffer(synAck.frame).getInt(14 + 20 + TcpHeader.SEQUENCE_OFFSET,
            ByteOrder.BIG_ENDIAN);
        inner.toDeliver.add(Frames.ipv4(OUR_MAC, PEER_MAC, PEER, US, IpProtocol.TCP, 2, Ipv4Header.FLAG_DONT_FRAGMENT,
            Frames.tcp(PEER, US, 40000, 80, 101, iss + 1, TcpFlags.ACK, 65535, new byte[0], new byte[0])));
        stack.doWork(now += 1_000_000);
        assertEquals(0, stack.counters().get(Counter.STACK_INTERNAL_ERRORS));
        assertEquals(inner.offloads && device == inner
            ? inner.sent.stream().filter(Sent::isTcp).mapToInt(Sent::segments).sum() : 0,
            stack.counters().get(Counter.TCP_TX_CHECKSUM_PARTIAL), "every TCP segment partial, counted; or none");
        return inner.sent;
    }

    private static int tcpChecksumField(final byte[] frame)
    {
        return new UnsafeBuffer(frame).getShort(14 + 20 + TcpHeader.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    private static boolean tcpChecksumVerifies(final byte[] frame)
    {
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        return new TcpHeader().wrap(b, 34, frame.length - 34).validate(US, PEER)
            == TcpHeader.Verdict.OK;
    }

    @Test
    void withTheOffloadEachSegmentCarriesThePseudoHeaderSumAndGoesMarkedForTheDeviceToComplete()
    {
        final OffloadingDevice device = new OffloadingDevice(true);
        final List<Sent> sent = new ArrayList<>(connectAndSend(device, device, 1000));
        final OffloadingDevice superFrames = new OffloadingDevice(true);
        sent.addAll(connectAndSend(superFrames, superFrames, 3000));
        final List<Sent> tcp = sent.stream().filter(Sent::isTcp).toList();
        assertTrue((tcp.get(0).tcpFlags() & TcpFlags.SYN) != 0, "a control segment, never glued, goes alone");
        assertTrue(tcp.stream().anyMatch(s -> s.gsoSize == 0 && s.frame.length > 54), "a data segment alone");
        assertTrue(tcp.stream().anyMatch(s -> s.gsoSize > 0), "and a super-frame");
        for (final Sent s : tcp)
        {
            final int tcpLength = s.frame.length - 34;
            assertEquals(34, s.checksumStart, "csum_start at the TCP header");
            final int headerLength = ((s.frame[34 + TcpHeader.DATA_OFFSET_OFFSET] & 0xF0) >>> 4) * 4;
            assertEquals(34 + headerLength, s.headerLength, "hdr_len: through the TCP header");
            // RFC 9293 §3.1: only the pseudo-header (source, destination, zero, protocol, TCP length), not complemented
            assertEquals(Checksum.fold(Checksum.pseudoHeaderSum(US, PEER, IpProtocol.TCP, tcpLength)),
                tcpChecksumField(s.frame), "the pseudo-header sum");
            assertFalse(tcpChecksumVerifies(s.frame), "not complete as sent");
            final byte[] completed = s.frame.clone();
            Checksum.completePartial(new UnsafeBuffer(completed), s.checksumStart, completed.length - s.checksumStart,
                TcpHeader.CHECKSUM_OFFSET);
            assertTrue(tcpChecksumVerifies(completed), "what the kernel completes verifies");
        }
        assertTrue(sent.stream().filter(s -> !s.isTcp()).allMatch(s -> s.checksumStart == 0),
            "ARP goes unmarked");
    }

    @Test
    void withoutTheOffloadEverySegmentHasItsCompleteChecksumAndGoesUnmarked()
    {
        final OffloadingDevice device = new OffloadingDevice(false);
        assertSegmentsAloneComplete(connectAndSend(device, device));
    }

    /** Segments sent alone: complete and unmarked; a super-frame is partial, as the coalescer always made it. */
    private static void assertSegmentsAloneComplete(final List<Sent> sent)
    {
        final List<Sent> tcp = sent.stream().filter(Sent::isTcp).toList();
        assertTrue(tcp.stream().filter(s -> s.gsoSize == 0).count() >= 1, "the SYN-ACK at least goes alone");
        for (final Sent s : tcp)
        {
            if (s.gsoSize == 0)
            {
                assertEquals(0, s.checksumStart, "unmarked");
                assertTrue(tcpChecksumVerifies(s.frame), "complete");
            }
            else
            {
                assertEquals(34, s.checksumStart, "a super-frame is NEEDS_CSUM either way");
            }
        }
    }

    @Test
    void anImpairmentInFrontRefusesTheOffloadSoEveryChecksumIsComplete()
    {
        final OffloadingDevice inner = new OffloadingDevice(true);
        assertSegmentsAloneComplete(connectAndSend(ImpairedDevice.builder(inner).seed(1).build(), inner));
    }
}
