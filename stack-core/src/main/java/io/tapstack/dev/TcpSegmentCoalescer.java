package io.tapstack.dev;

import io.tapstack.wire.Checksum;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * TCP segmentation offload seen from the stack's side: the transmit half of a device that can send TCP
 * super-frames (a TAP with {@code TUN_F_TSO4}, or {@link MemoryLink}'s model of one). The stack's TCP code is the
 * same with or without it and sends MSS-sized segments; this class, at the device boundary, glues consecutive
 * segments of one connection sent in the same duty cycle into one super-frame of up to 64 KiB, which the device
 * writes at once and the kernel (or the peer's GRO) cuts again at the MSS. Fewer, larger writes are what make a
 * TAP fast: each write(2) runs the kernel's whole receive path.
 *
 * <p>What glues (the rules the kernel's segmentation undoes exactly, as Linux's tcp_gso_segment): a segment joins
 * the pending super-frame when it is a TCP/IPv4 segment with data, its sequence number is the pending one's next,
 * its Ethernet header, IPv4 header (but the total length, identification and checksum) and TCP header (but the
 * sequence number, the checksum and PSH/FIN) are byte for byte the pending first segment's, it carries no more
 * data than the first (the kernel cuts at the first's length: {@code gso_size}), and the super-frame stays within
 * the IPv4 limit of 65,535 bytes. A segment with PSH or FIN, or shorter than the first, ends the super-frame: it
 * goes at once. SYN, RST, URG, CWR and ECE segments, segments without data and all other frames never glue; they
 * send the pending super-frame first, so the order of frames never changes. {@link #flush} sends what is pending:
 * the stack calls it at the end of each duty cycle.
 *
 * <p>A super-frame's IPv4 total length and header checksum are rewritten; its TCP checksum is left partial (the
 * pseudo-header sum of the whole segment, not complemented: virtio-net's {@code NEEDS_CSUM} with
 * {@code csum_start} at the TCP header and {@code csum_offset} 16), which the kernel completes for each segment it
 * cuts. A frame sent alone keeps the checksums the stack wrote: complete, or, once {@link #partialTcpChecksums} is
 * on (the stack then writes only the pseudo-header sum into every TCP segment:
 * {@link FrameDevice#offloadTcpChecksums}), partial in every TCP/IPv4 frame, which goes to the device with its
 * {@code checksumStart} so that it is marked {@code NEEDS_CSUM} too.
 *
 * <p>One direct buffer, allocated at construction: no allocation per frame. Claimed frames are written right after
 * the pending super-frame, so a segment that glues costs one copy of its payload within the buffer; a frame that
 * does not is sent from where it was written. {@link #HEADROOM} bytes before each frame are the device's (the
 * virtio-net header). Owned by the stack thread; the counters are readable from any thread.
 */
public final class TcpSegmentCoalescer
{
    /** Where the device writes one frame: an ordinary one ({@code gsoSize} 0) or a super-frame. */
    public interface Sink
    {
        /**
         * @param buffer        the coalescer's buffer; {@link #HEADROOM} bytes before {@code offset} are free
         * @param gsoSize       0 for an ordinary frame; else the payload bytes per segment of a super-frame whose
         *                      TCP checksum is partial
         * @param headerLength  link, IPv4 and TCP header bytes before the payload (with a partial checksum only)
         * @param checksumStart 0 when the frame's checksums are complete; else where the TCP header starts, from
         *                      {@code offset}, whose checksum field (16 bytes after it) holds only the pseudo-header
         *                      sum: always for a super-frame, and for a TCP segment sent alone when
         *                      {@link #partialTcpChecksums} is on
         * @return false when the device refused the frame (counted by the device)
         */
        boolean send(UnsafeBuffer buffer, int offset, int length, int gsoSize, int headerLength, int checksumStart);
    }

    /** Bytes before every frame that belong to the device (virtio-net's header is 10). */
    public static final int HEADROOM = 64;
    /** The largest IPv4 datagram, and so the largest super-frame's IP part. */
    public static final int MAX_DATAGRAM_LENGTH = Ipv4Header.MAX_DATAGRAM_LENGTH;

    private static final int TCP_FLAGS_NEVER_GLUED = TcpFlags.SYN | TcpFlags.RST | TcpFlags.URG | TcpFlags.CWR
        | TcpFlags.ECE;
    private static final int TCP_FLAGS_ENDING = TcpFlags.PSH | TcpFlags.FIN;

    private final Sink sink;
    private final int linkHeaderLength;
    private final int maxFrameLength;
    private final int maxSuperFrameLength;
    private final UnsafeBuffer buffer;

    /** Length of the claimed frame at {@link #claimedOffset}, or -1 when nothing is claimed. */
    private int claimedLength = -1;
    private int claimedOffset;
    /** Bytes of the pending super-frame at {@link #HEADROOM}; 0 when none. */
    private int pendingLength;
    private int pendingSegments;
    /** Payload bytes of the pending first segment: the super-frame's gso_size. */
    private int pendingGsoSize;
    /** Link + IPv4 + TCP header bytes of the pending first segment. */
    private int pendingHeaderLength;
    private int pendingIpHeaderLength;
    /** The sequence number a segment must carry to glue (modulo 2^32). */
    private int pendingNextSeq;

    /** Whether the stack writes partial TCP checksums (FrameDevice.offloadTcpChecksums said yes). */
    private boolean partialTcpChecksums;

    private long framesSent;
    private long superFramesSent;
    private long segmentsGlued;
    private long sendFailures;

    /**
     * @param linkHeaderLength    14 before IPv4 on Ethernet (a TAP), 0 for bare IPv4 (a TUN)
     * @param maxFrameLength      the largest frame the stack may claim (MTU + link header)
     * @param maxDatagramLength   the largest super-frame's IPv4 total length: at most 65,535
     */
    public TcpSegmentCoalescer(final Sink sink, final int linkHeaderLength, final int maxFrameLength,
        final int maxDatagramLength)
    {
        if (linkHeaderLength != 0 && linkHeaderLength != EthernetFrame.HEADER_LENGTH)
        {
            throw new IllegalArgumentException("link header must be 0 (IPv4) or 14 (Ethernet): " + linkHeaderLength);
        }
        if (maxDatagramLength > MAX_DATAGRAM_LENGTH || maxDatagramLength + linkHeaderLength < maxFrameLength)
        {
            throw new IllegalArgumentException("a super-frame holds at least one frame and at most 65,535 bytes of "
                + "IPv4: " + maxDatagramLength);
        }
        this.sink = sink;
        this.linkHeaderLength = linkHeaderLength;
        this.maxFrameLength = maxFrameLength;
        this.maxSuperFrameLength = linkHeaderLength + maxDatagramLength;
        this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            BitUtil.align(HEADROOM + maxSuperFrameLength + maxFrameLength, 64), 64));
    }

    /**
     * Once the stack writes only the pseudo-header sum into its TCP checksums (the device said yes to
     * {@link FrameDevice#offloadTcpChecksums}): every TCP/IPv4 frame sent alone goes to the sink with its
     * {@code checksumStart}, to be marked partial. Set before the first frame.
     */
    public void partialTcpChecksums(final boolean partial)
    {
        this.partialTcpChecksums = partial;
    }

    /** The buffer claimed offsets refer to (direct: its address can go to write(2)). */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** Room for a frame of {@code length} bytes, as {@link FrameDevice#claim}: -1 if one is claimed already. */
    public int claim(final int length)
    {
        if (claimedLength >= 0 || length < 0 || length > maxFrameLength)
        {
            return -1;
        }
        claimedLength = length;
        claimedOffset = HEADROOM + pendingLength;
        return claimedOffset;
    }

    public void abort(final int offset)
    {
        claimedLength = -1;
    }

    /** The claimed frame: glued to the pending super-frame, pending itself, or sent (after what was pending). */
    public void commit(final int offset)
    {
        final int length = claimedLength;
        if (length < 0)
        {
            throw new IllegalStateException("commit without claim");
        }
        claimedLength = -1;
        final int at = claimedOffset;
        if (pendingLength > 0 && glue(at, length))
        {
            return;
        }
        flush();
        final int headerLength = segmentHeaderLength(at, length);
        if (headerLength < 0)
        {
            sendAlone(at, length); // never glued: goes as it is
            return;
        }
        final int tcpOffset = at + linkHeaderLength + ipHeaderLength(at);
        if ((buffer.getByte(tcpOffset + TcpHeader.FLAGS_OFFSET) & TCP_FLAGS_ENDING) != 0)
        {
            sendAlone(at, length); // ends a super-frame of one: nothing could follow it
            return;
        }
        if (at != HEADROOM)
        {
            buffer.putBytes(HEADROOM, buffer, at, length);
        }
        pendingLength = length;
        pendingSegments = 1;
        pendingHeaderLength = headerLength;
        pendingIpHeaderLength = ipHeaderLength(HEADROOM);
        pendingGsoSize = length - headerLength;
        pendingNextSeq = buffer.getInt(HEADROOM + linkHeaderLength + pendingIpHeaderLength
            + TcpHeader.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) + pendingGsoSize;
    }

    /** Sends the pending super-frame, if any: at the end of a duty cycle, or before a frame that does not glue. */
    public void flush()
    {
        if (pendingLength == 0)
        {
            return;
        }
        final int length = pendingLength;
        pendingLength = 0;
        if (pendingSegments == 1)
        {
            if (partialTcpChecksums)
            {
                send(HEADROOM, length, 0, pendingHeaderLength, linkHeaderLength + pendingIpHeaderLength);
            }
            else
            {
                send(HEADROOM, length, 0, 0, 0);
            }
            return;
        }
        final int ipOffset = HEADROOM + linkHeaderLength;
        final int ipHeaderLength = pendingIpHeaderLength;
        final int tcpOffset = ipOffset + ipHeaderLength;
        final int tcpLength = length - linkHeaderLength - ipHeaderLength;
        buffer.putShort(ipOffset + Ipv4Header.TOTAL_LENGTH_OFFSET, (short)(length - linkHeaderLength),
            ByteOrder.BIG_ENDIAN);
        buffer.putShort(ipOffset + Ipv4Header.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(ipOffset + Ipv4Header.CHECKSUM_OFFSET,
            (short)Checksum.compute(buffer, ipOffset, ipHeaderLength), ByteOrder.BIG_ENDIAN);
        // virtio-net NEEDS_CSUM: the field holds the pseudo-header sum, which the segmenting kernel completes
        final long pseudo = Checksum.pseudoHeaderSum(
            buffer.getInt(ipOffset + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
            buffer.getInt(ipOffset + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN), IpProtocol.TCP, tcpLength);
        buffer.putShort(tcpOffset + TcpHeader.CHECKSUM_OFFSET, (short)Checksum.fold(pseudo), ByteOrder.BIG_ENDIAN);
        superFramesSent++;
        segmentsGlued += pendingSegments;
        send(HEADROOM, length, pendingGsoSize, pendingHeaderLength, linkHeaderLength + ipHeaderLength);
    }

    /** Whether a frame is pending (the device's deadline is then "now", so a runner flushes it). */
    public boolean hasPending()
    {
        return pendingLength > 0;
    }

    private void send(final int offset, final int length, final int gsoSize, final int headerLength,
        final int checksumStart)
    {
        framesSent++;
        if (!sink.send(buffer, offset, length, gsoSize, headerLength, checksumStart))
        {
            sendFailures++;
        }
    }

    /**
     * A frame that does not glue: with {@link #partialTcpChecksums}, a TCP/IPv4 segment (data or not) goes marked
     * with where its TCP header starts, since the stack wrote its checksum partial; anything else as it is.
     */
    private void sendAlone(final int at, final int length)
    {
        if (!partialTcpChecksums)
        {
            send(at, length, 0, 0, 0);
            return;
        }
        final int tcpHeaderEnd = tcpHeaderEnd(at, length);
        if (tcpHeaderEnd < 0)
        {
            send(at, length, 0, 0, 0);
        }
        else
        {
            send(at, length, 0, tcpHeaderEnd, linkHeaderLength + ipHeaderLength(at));
        }
    }

    /**
     * Link + IPv4 + TCP header bytes when the frame at {@code at} is one whole TCP/IPv4 datagram (any flags, data or
     * not), -1 otherwise (another protocol, or a fragment, whose checksum the stack wrote complete).
     */
    private int tcpHeaderEnd(final int at, final int length)
    {
        if (length < linkHeaderLength + Ipv4Header.MIN_HEADER_LENGTH + TcpHeader.MIN_HEADER_LENGTH
            || linkHeaderLength != 0 && (buffer.getShort(at + EthernetFrame.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN)
            & 0xFFFF) != EtherType.IPV4)
        {
            return -1;
        }
        final int ip = at + linkHeaderLength;
        final int ipHeaderLength = (buffer.getByte(ip + Ipv4Header.VERSION_IHL_OFFSET) & 0x0F) * 4;
        if ((buffer.getByte(ip + Ipv4Header.PROTOCOL_OFFSET) & 0xFF) != IpProtocol.TCP
            || (buffer.getShort(ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0x3FFF) != 0
            || length < linkHeaderLength + ipHeaderLength + TcpHeader.MIN_HEADER_LENGTH)
        {
            return -1;
        }
        final int tcpHeaderLength = ((buffer.getByte(ip + ipHeaderLength + TcpHeader.DATA_OFFSET_OFFSET) & 0xF0)
            >>> 4) * 4;
        final int end = linkHeaderLength + ipHeaderLength + tcpHeaderLength;
        return end <= length ? end : -1;
    }

    /** The frame at {@code at} joins the pending super-frame if every rule allows it. */
    private boolean glue(final int at, final int length)
    {
        final int headerLength = pendingHeaderLength;
        final int payload = length - headerLength;
        if (payload <= 0 || payload > pendingGsoSize || pendingLength + payload > maxSuperFrameLength
            || segmentHeaderLength(at, length) != headerLength)
        {
            return false;
        }
        final int first = HEADROOM;
        final int ip = linkHeaderLength;
        final int tcp = ip + pendingIpHeaderLength;
        if (!sameBytes(first, at, 0, ip + Ipv4Header.TOTAL_LENGTH_OFFSET)
            || !sameBytes(first, at, ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET, ip + Ipv4Header.CHECKSUM_OFFSET)
            || !sameBytes(first, at, ip + Ipv4Header.SOURCE_OFFSET, tcp + TcpHeader.SEQUENCE_OFFSET)
            || !sameBytes(first, at, tcp + TcpHeader.ACKNOWLEDGMENT_OFFSET, tcp + TcpHeader.FLAGS_OFFSET)
            || !sameBytes(first, at, tcp + TcpHeader.WINDOW_OFFSET, tcp + TcpHeader.CHECKSUM_OFFSET)
            || !sameBytes(first, at, tcp + TcpHeader.URGENT_POINTER_OFFSET, headerLength))
        {
            return false; // another connection, another ACK or window, other options (a timestamp moved on)
        }
        final int flags = buffer.getByte(at + tcp + TcpHeader.FLAGS_OFFSET) & 0xFF;
        if ((flags & ~TCP_FLAGS_ENDING) != (buffer.getByte(first + tcp + TcpHeader.FLAGS_OFFSET) & 0xFF)
            || buffer.getInt(at + tcp + TcpHeader.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) != pendingNextSeq)
        {
            return false; // other flags, or not the next byte of the stream (a retransmission, a gap)
        }
        buffer.putBytes(first + pendingLength, buffer, at + headerLength, payload);
        pendingLength += payload;
        pendingSegments++;
        pendingNextSeq += payload;
        if ((flags & TCP_FLAGS_ENDING) != 0 || payload < pendingGsoSize)
        {
            // the last segment: its PSH/FIN go on the super-frame, which the kernel gives to the last segment it cuts
            buffer.putByte(first + tcp + TcpHeader.FLAGS_OFFSET, (byte)(flags | (buffer.getByte(first + tcp
                + TcpHeader.FLAGS_OFFSET) & 0xFF)));
            flush();
        }
        return true;
    }

    private boolean sameBytes(final int a, final int b, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (buffer.getByte(a + i) != buffer.getByte(b + i))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Link + IPv4 + TCP header bytes when the frame at {@code at} is a TCP/IPv4 segment with data that may glue
     * (one whole datagram, no SYN, RST, URG, CWR or ECE); -1 otherwise.
     */
    private int segmentHeaderLength(final int at, final int length)
    {
        if (length < linkHeaderLength + Ipv4Header.MIN_HEADER_LENGTH + TcpHeader.MIN_HEADER_LENGTH)
        {
            return -1;
        }
        if (linkHeaderLength != 0 && (buffer.getShort(at + EthernetFrame.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN)
            & 0xFFFF) != EtherType.IPV4)
        {
            return -1;
        }
        final int ip = at + linkHeaderLength;
        final int versionIhl = buffer.getByte(ip + Ipv4Header.VERSION_IHL_OFFSET) & 0xFF;
        final int ipHeaderLength = (versionIhl & 0x0F) * 4;
        if ((versionIhl >>> 4) != 4 || ipHeaderLength < Ipv4Header.MIN_HEADER_LENGTH
            || (buffer.getByte(ip + Ipv4Header.PROTOCOL_OFFSET) & 0xFF) != IpProtocol.TCP
            || (buffer.getShort(ip + Ipv4Header.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF)
                != length - linkHeaderLength
            || (buffer.getShort(ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0x3FFF) != 0)
        {
            return -1; // not TCP/IPv4, padded, or a fragment
        }
        final int tcp = ip + ipHeaderLength;
        if (length < linkHeaderLength + ipHeaderLength + TcpHeader.MIN_HEADER_LENGTH)
        {
            return -1;
        }
        final int tcpHeaderLength = ((buffer.getByte(tcp + TcpHeader.DATA_OFFSET_OFFSET) & 0xF0) >>> 4) * 4;
        final int headerLength = linkHeaderLength + ipHeaderLength + tcpHeaderLength;
        final int flags = buffer.getByte(tcp + TcpHeader.FLAGS_OFFSET) & 0xFF;
        if (tcpHeaderLength < TcpHeader.MIN_HEADER_LENGTH || headerLength >= length
            || (flags & TCP_FLAGS_NEVER_GLUED) != 0 || (flags & TcpFlags.ACK) == 0)
        {
            return -1; // no data, or a segment the kernel's segmentation would not give back unchanged
        }
        return headerLength;
    }

    private int ipHeaderLength(final int at)
    {
        return (buffer.getByte(at + linkHeaderLength + Ipv4Header.VERSION_IHL_OFFSET) & 0x0F) * 4;
    }

    /** Frames handed to the device: ordinary frames and super-frames. */
    public long framesSent()
    {
        return framesSent;
    }

    /** Super-frames handed to the device (each of two segments or more). */
    public long superFramesSent()
    {
        return superFramesSent;
    }

    /** Segments that went out inside super-frames. */
    public long segmentsGlued()
    {
        return segmentsGlued;
    }

    /** Frames the device refused. */
    public long sendFailures()
    {
        return sendFailures;
    }
}
