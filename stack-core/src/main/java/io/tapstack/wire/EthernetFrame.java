package io.tapstack.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an Ethernet II frame header (IEEE 802.3, RFC 894). No FCS: TAP devices neither deliver nor
 * expect one.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Destination MAC (6 octets)                   |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+     Source MAC (6 octets)     +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           EtherType           |  Payload ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class EthernetFrame
{
    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    public static final int HEADER_LENGTH = 14;

    /** What {@link #validate()} found. */
    public enum Verdict
    {
        OK, TOO_SHORT
    }

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    /** Wraps a frame of {@code length} bytes; call {@link #validate()} before reading fields. */
    public EthernetFrame wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    public Verdict validate()
    {
        return length >= HEADER_LENGTH ? Verdict.OK : Verdict.TOO_SHORT;
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

    public long destination()
    {
        return MacAddress.read(buffer, offset + DESTINATION_OFFSET);
    }

    public EthernetFrame destination(final long mac)
    {
        MacAddress.write(buffer, offset + DESTINATION_OFFSET, mac);
        return this;
    }

    public long source()
    {
        return MacAddress.read(buffer, offset + SOURCE_OFFSET);
    }

    public EthernetFrame source(final long mac)
    {
        MacAddress.write(buffer, offset + SOURCE_OFFSET, mac);
        return this;
    }

    public int etherType()
    {
        return buffer.getShort(offset + ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public EthernetFrame etherType(final int etherType)
    {
        buffer.putShort(offset + ETHER_TYPE_OFFSET, (short)etherType, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength()
    {
        return length - HEADER_LENGTH;
    }

    /** Writes a whole header at {@code offset} of {@code buffer}. */
    public static void writeHeader(final MutableDirectBuffer buffer, final int offset, final long destination,
        final long source, final int etherType)
    {
        MacAddress.write(buffer, offset + DESTINATION_OFFSET, destination);
        MacAddress.write(buffer, offset + SOURCE_OFFSET, source);
        buffer.putShort(offset + ETHER_TYPE_OFFSET, (short)etherType, ByteOrder.BIG_ENDIAN);
    }
}
