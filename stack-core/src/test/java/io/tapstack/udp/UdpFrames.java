package io.tapstack.udp;

import io.tapstack.testkit.Frames;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;

/** Builds UDP datagrams and frames for the UDP tests, and reads them back (allocates freely). */
final class UdpFrames
{
    private UdpFrames()
    {
    }

    /** A UDP datagram (header and data) with a valid checksum for the given addresses. */
    static byte[] udp(final int src, final int dst, final int srcPort, final int dstPort, final byte[] data)
    {
        final byte[] datagram = new byte[UdpHeader.HEADER_LENGTH + data.length];
        final UnsafeBuffer b = new UnsafeBuffer(datagram);
        b.putBytes(UdpHeader.HEADER_LENGTH, data);
        new UdpHeader().wrap(b, 0, datagram.length).sourcePort(srcPort).destinationPort(dstPort)
            .length(datagram.length).updateChecksum(src, dst);
        return datagram;
    }

    /** A frame from the scripted peer (10.0.0.1) to the stack (10.0.0.2) carrying {@code datagram}. */
    static byte[] fromPeer(final byte[] datagram)
    {
        return Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.UDP, 1, 0, datagram);
    }

    /** A frame from the peer's port {@code srcPort} to the stack's {@code dstPort} with {@code data}. */
    static byte[] fromPeer(final int srcPort, final int dstPort, final byte[] data)
    {
        return fromPeer(udp(PEER_IP, STACK_IP, srcPort, dstPort, data));
    }

    /** The UDP view over a parsed frame's IPv4 payload. */
    static UdpHeader udpOf(final Frames frame)
    {
        return new UdpHeader().wrap(new UnsafeBuffer(frame.l4()), 0, frame.l4().length);
    }

    /** {@code length} bytes of a recognisable pattern. */
    static byte[] pattern(final int length, final int seed)
    {
        final byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(i * 31 + seed + (i >>> 8));
        }
        return data;
    }
}
