package io.tapstack.wire;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over a TCP header (RFC 9293 §3.1). Options are parsed by {@link TcpOptions}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           [Options]                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class TcpHeader
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;

    /** What {@link #validate} found. */
    public enum Verdict
    {
        OK, TOO_SHORT, BAD_DATA_OFFSET, BAD_CHECKSUM
    }

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    /** Wraps a whole segment (header and data) of {@code length} bytes. */
    public TcpHeader wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Lengths, and the checksum over the pseudo-header and segment (RFC 9293 §3.1). */
    public Verdict validate(final int sourceAddress, final int destinationAddress)
    {
        return validate(sourceAddress, destinationAddress, true);
    }

    /**
     * Lengths, and the checksum unless {@code verifyChecksum} is false (a device that offloads checksums vouched for
     * it, or left it partial).
     */
    public Verdict validate(final int sourceAddress, final int destinationAddress, final boolean verifyChecksum)
    {
        if (length < MIN_HEADER_LENGTH)
        {
            return Verdict.TOO_SHORT;
        }
        final int headerLength = headerLength();
        if (headerLength < MIN_HEADER_LENGTH || headerLength > length)
        {
            return Verdict.BAD_DATA_OFFSET;
        }
        if (!verifyChecksum)
        {
            return Verdict.OK;
        }
        final long sum = Checksum.sum(buffer, offset, length,
            Checksum.pseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.TCP, length));
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

    public int length()
    {
        return length;
    }

    public int sourcePort()
    {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader sourcePort(final int port)
    {
        buffer.putShort(offset + SOURCE_PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int destinationPort()
    {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader destinationPort(final int port)
    {
        buffer.putShort(offset + DESTINATION_PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int sequenceNumber()
    {
        return buffer.getInt(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public TcpHeader sequenceNumber(final int seq)
    {
        buffer.putInt(offset + SEQUENCE_OFFSET, seq, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int acknowledgmentNumber()
    {
        return buffer.getInt(offset + ACKNOWLEDGMENT_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public TcpHeader acknowledgmentNumber(final int ack)
    {
        buffer.putInt(offset + ACKNOWLEDGMENT_OFFSET, ack, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Data offset in bytes (the field counts 32-bit words). */
    public int headerLength()
    {
        return ((buffer.getByte(offset + DATA_OFFSET_OFFSET) >>> 4) & 0xF) * 4;
    }

    /** Sets the data offset from a header length in bytes (a multiple of 4, 20..60); clears the reserved bits. */
    public TcpHeader headerLength(final int bytes)
    {
        buffer.putByte(offset + DATA_OFFSET_OFFSET, (byte)((bytes / 4) << 4));
        return this;
    }

    public int flags()
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    public TcpHeader flags(final int flags)
    {
        buffer.putByte(offset + FLAGS_OFFSET, (byte)flags);
        return this;
    }

    public boolean has(final int flag)
    {
        return (flags() & flag) != 0;
    }

    /** The raw 16-bit window field (scale it with the negotiated shift). */
    public int window()
    {
        return buffer.getShort(offset + WINDOW_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader window(final int window)
    {
        buffer.putShort(offset + WINDOW_OFFSET, (short)window, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader checksum(final int checksum)
    {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int urgentPointer()
    {
        return buffer.getShort(offset + URGENT_POINTER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader urgentPointer(final int pointer)
    {
        buffer.putShort(offset + URGENT_POINTER_OFFSET, (short)pointer, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int optionsOffset()
    {
        return offset + MIN_HEADER_LENGTH;
    }

    public int optionsLength()
    {
        return headerLength() - MIN_HEADER_LENGTH;
    }

    public int dataOffset()
    {
        return offset + headerLength();
    }

    public int dataLength()
    {
        return length - headerLength();
    }

    /**
     * RFC 9293 §3.4 SEG.LEN: data bytes plus one for SYN and one for FIN (they occupy sequence space).
     */
    public int segmentLength()
    {
        final int flags = flags();
        return dataLength() + ((flags & TcpFlags.SYN) != 0 ? 1 : 0) + ((flags & TcpFlags.FIN) != 0 ? 1 : 0);
    }

    /**
     * Stores only the pseudo-header's sum, folded and not complemented, for a device that offloads checksums
     * (virtio-net {@code NEEDS_CSUM}, {@code csum_offset} 16) to add the {@code length} bytes wrapped and complement:
     * RFC 9293 §3.1's checksum, finished by the device ({@link Checksum#completePartial}).
     */
    public TcpHeader updatePartialChecksum(final int sourceAddress, final int destinationAddress)
    {
        checksum(Checksum.fold(Checksum.pseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.TCP, length)));
        return this;
    }

    /** Computes and stores the checksum over the pseudo-header and the {@code length} bytes wrapped. */
    public TcpHeader updateChecksum(final int sourceAddress, final int destinationAddress)
    {
        checksum(0);
        final long sum = Checksum.sum(buffer, offset, length,
            Checksum.pseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.TCP, length));
        checksum(Checksum.finish(sum));
        return this;
    }
}
