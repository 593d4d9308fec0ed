package io.tapstack.wire;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over a UDP datagram (RFC 768). The checksum covers a pseudo-header (source and destination address,
 * protocol, UDP length), the header and the data; zero means the sender computed none.
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |     Source      |   Destination   |
 * |      Port       |      Port       |
 * +--------+--------+--------+--------+
 * |                 |                 |
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * |
 * |          data octets ...
 * +---------------- ...
 * </pre>
 */
public final class UdpHeader
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;
    /** The largest UDP datagram in IPv4: 65,535 minus a 20-byte IP header. */
    public static final int MAX_LENGTH = Ipv4Header.MAX_DATAGRAM_LENGTH - Ipv4Header.MIN_HEADER_LENGTH;
    /** The most data one datagram carries: 65,507 bytes. */
    public static final int MAX_DATA_LENGTH = MAX_LENGTH - HEADER_LENGTH;
    /** RFC 768: a transmitted zero checksum means "no checksum". */
    public static final int NO_CHECKSUM = 0;

    /** What {@link #validate} found. */
    public enum Verdict
    {
        OK, TOO_SHORT, BAD_LENGTH, BAD_CHECKSUM
    }

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    /** Wraps the {@code length} bytes available from {@code offset} (the IP payload; may exceed the UDP length). */
    public UdpHeader wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /**
     * Lengths, then the checksum over the pseudo-header and the {@link #length()} bytes of the datagram (RFC 768).
     * A zero checksum means none was sent and is accepted (RFC 1122 §4.1.3.4). After OK, every accessor reads
     * within the wrapped range.
     */
    public Verdict validate(final int sourceAddress, final int destinationAddress)
    {
        return validate(sourceAddress, destinationAddress, true);
    }

    /**
     * As {@link #validate(int, int)}, the checksum left out when {@code verifyChecksum} is false (a device that
     * offloads checksums vouched for it, or left it partial).
     */
    public Verdict validate(final int sourceAddress, final int destinationAddress, final boolean verifyChecksum)
    {
        if (length < HEADER_LENGTH)
        {
            return Verdict.TOO_SHORT;
        }
        final int udpLength = length();
        if (udpLength < HEADER_LENGTH || udpLength > length)
        {
            return Verdict.BAD_LENGTH;
        }
        if (checksum() == NO_CHECKSUM || !verifyChecksum)
        {
            return Verdict.OK;
        }
        final long sum = Checksum.sum(buffer, offset, udpLength,
            Checksum.pseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.UDP, udpLength));
        if (Checksum.fold(sum) != 0xFFFF)
        {
            return Verdict.BAD_CHECKSUM;
        }
        return Verdict.OK;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    /** Bytes wrapped (the IP payload length), which may exceed {@link #length()}. */
    public int available()
    {
        return length;
    }

    public int sourcePort()
    {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public UdpHeader sourcePort(final int port)
    {
        buffer.putShort(offset + SOURCE_PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int destinationPort()
    {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public UdpHeader destinationPort(final int port)
    {
        buffer.putShort(offset + DESTINATION_PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** The Length field: header plus data, in bytes. */
    public int length()
    {
        return buffer.getShort(offset + LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public UdpHeader length(final int udpLength)
    {
        buffer.putShort(offset + LENGTH_OFFSET, (short)udpLength, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public UdpHeader checksum(final int checksum)
    {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int dataOffset()
    {
        return offset + HEADER_LENGTH;
    }

    /** Data bytes by the Length field (IP payload bytes after it are not part of the datagram). */
    public int dataLength()
    {
        return length() - HEADER_LENGTH;
    }

    /**
     * Computes and stores the checksum over the pseudo-header and the {@link #length()} bytes of the datagram; a
     * computed zero is sent as 0xFFFF, since zero on the wire means "no checksum" (RFC 768).
     */
    public UdpHeader updateChecksum(final int sourceAddress, final int destinationAddress)
    {
        checksum(0);
        final int udpLength = length();
        final int checksum = Checksum.finish(Checksum.sum(buffer, offset, udpLength,
            Checksum.pseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.UDP, udpLength)));
        checksum(checksum == 0 ? 0xFFFF : checksum);
        return this;
    }
}
