package io.tapstack.testkit;

import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds and parses whole frames for tests, readably (allocates freely; never on the stack's path).
 * Fields not applicable to a frame are -1.
 */
public record Frames(
    long ethDestination, long ethSource, int etherType,
    int arpOper, long arpSha, int arpSpa, long arpTha, int arpTpa,
    int ipSource, int ipDestination, int ipProtocol, int ipId, int ipFlagsFragment, int ipTotalLength, int ipTtl,
    int icmpType, int icmpCode, int icmpId, int icmpSeq, byte[] l4)
{
    public static Frames parse(final byte[] frame)
    {
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        final EthernetFrame eth = new EthernetFrame().wrap(b, 0, frame.length);
        final long dst = eth.destination();
        final long src = eth.source();
        final int type = eth.etherType();
        if (type == EtherType.ARP)
        {
            final ArpPacket arp = new ArpPacket().wrap(b, 14, frame.length - 14);
            return new Frames(dst, src, type, arp.oper(), arp.sha(), arp.spa(), arp.tha(), arp.tpa(),
                -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, null);
        }
        final Ipv4Header ip = new Ipv4Header().wrap(b, 14, frame.length - 14);
        final byte[] l4 = new byte[ip.payloadLength()];
        b.getBytes(ip.payloadOffset(), l4);
        int icmpType = -1;
        int icmpCode = -1;
        int icmpId = -1;
        int icmpSeq = -1;
        if (ip.protocol() == IpProtocol.ICMP && (ip.flagsAndFragmentOffset() & Ipv4Header.FRAGMENT_OFFSET_MASK) == 0
            && l4.length >= 8)
        {
            final IcmpMessage icmp = new IcmpMessage().wrap(new UnsafeBuffer(l4), 0, l4.length);
            icmpType = icmp.type();
            icmpCode = icmp.code();
            icmpId = icmp.identifier();
            icmpSeq = icmp.sequence();
        }
        return new Frames(dst, src, type, -1, -1, -1, -1, -1, ip.source(), ip.destination(), ip.protocol(),
            ip.identification(), ip.flagsAndFragmentOffset(), ip.totalLength(), ip.ttl(),
            icmpType, icmpCode, icmpId, icmpSeq, l4);
    }

    public boolean isArp()
    {
        return etherType == EtherType.ARP;
    }

    public boolean isIcmp()
    {
        return etherType == EtherType.IPV4 && ipProtocol == IpProtocol.ICMP;
    }

    public static byte[] arp(final int oper, final long ethDst, final long sha, final int spa, final long tha,
        final int tpa)
    {
        final byte[] frame = new byte[14 + ArpPacket.LENGTH];
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        EthernetFrame.writeHeader(b, 0, ethDst, sha, EtherType.ARP);
        new ArpPacket().wrap(b, 14, ArpPacket.LENGTH).writeEthernetIpv4(oper).sha(sha).spa(spa).tha(tha).tpa(tpa);
        return frame;
    }

    /** A whole IPv4 packet (20-byte header) in an Ethernet frame. */
    public static byte[] ipv4(final long ethDst, final long ethSrc, final int src, final int dst, final int protocol,
        final int id, final int flagsFragment, final byte[] payload)
    {
        final byte[] frame = new byte[14 + 20 + payload.length];
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        EthernetFrame.writeHeader(b, 0, ethDst, ethSrc, EtherType.IPV4);
        Ipv4Header.write(b, 14, 20 + payload.length, id, flagsFragment, 64, protocol, src, dst);
        b.putBytes(34, payload);
        return frame;
    }

    /** An ICMP message (checksummed) with the given type, id, seq and data. */
    public static byte[] icmp(final int type, final int code, final int id, final int seq, final byte[] data)
    {
        final byte[] message = new byte[8 + data.length];
        final UnsafeBuffer b = new UnsafeBuffer(message);
        new IcmpMessage().wrap(b, 0, message.length).type(type).code(code).identifier(id).sequence(seq);
        b.putBytes(8, data);
        new IcmpMessage().wrap(b, 0, message.length).updateChecksum();
        return message;
    }

    /** An echo request as a sequence of IPv4 fragments of at most {@code maxPiece} payload bytes each. */
    public static List<byte[]> fragments(final long ethDst, final long ethSrc, final int src, final int dst,
        final int protocol, final int id, final byte[] payload, final int maxPiece)
    {
        final List<byte[]> out = new ArrayList<>();
        for (int sent = 0; sent < payload.length; sent += maxPiece)
        {
            final int piece = Math.min(maxPiece, payload.length - sent);
            final boolean last = sent + piece == payload.length;
            final byte[] part = new byte[piece];
            System.arraycopy(payload, sent, part, 0, piece);
            out.add(ipv4(ethDst, ethSrc, src, dst, protocol, id, (last ? 0 : Ipv4Header.FLAG_MORE_FRAGMENTS) | (sent >>> 3),
                part));
        }
        return out;
    }

    /** A TCP segment (header, options, data) with a valid checksum for the given addresses. */
    public static byte[] tcp(final int src, final int dst, final int srcPort, final int dstPort, final int seq,
        final int ack, final int flags, final int window, final byte[] options, final byte[] data)
    {
        final int headerLength = 20 + options.length;
        final byte[] segment = new byte[headerLength + data.length];
        final UnsafeBuffer b = new UnsafeBuffer(segment);
        b.putBytes(20, options);
        b.putBytes(headerLength, data);
        new io.tapstack.wire.TcpHeader().wrap(b, 0, segment.length)
            .sourcePort(srcPort).destinationPort(dstPort).sequenceNumber(seq).acknowledgmentNumber(ack)
            .headerLength(headerLength).flags(flags).window(window).urgentPointer(0)
            .updateChecksum(src, dst);
        return segment;
    }

    /** The TCP view over this frame's IPv4 payload. */
    public io.tapstack.wire.TcpHeader tcp()
    {
        return new io.tapstack.wire.TcpHeader().wrap(new UnsafeBuffer(l4), 0, l4.length);
    }

    /** True if the IPv4 header and, for unfragmented ICMP, the ICMP checksum verify. */
    public static boolean checksumsVerify(final byte[] frame)
    {
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        final Ipv4Header ip = new Ipv4Header().wrap(b, 14, frame.length - 14);
        if (ip.validate() != Ipv4Header.Verdict.OK)
        {
            return false;
        }
        if (ip.protocol() == IpProtocol.ICMP && !ip.isFragment())
        {
            return Checksum.verify(b, ip.payloadOffset(), ip.payloadLength());
        }
        return true;
    }
}
