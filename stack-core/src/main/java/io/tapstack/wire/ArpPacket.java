package io.tapstack.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an ARP packet for Ethernet and IPv4 (RFC 826). Only HTYPE 1 / PTYPE 0x0800 with address
 * lengths 6 and 4 is valid; anything else is a {@link Verdict} other than OK.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Hardware type (1)      |     Protocol type (0x0800)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  HLEN (6)     |   PLEN (4)    |   Operation (1 req, 2 reply)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Sender hardware address (6 octets)               |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |  Sender protocol address ...  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  ... (4 octets)               |  Target hardware address ...  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                          ... (6 octets)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Target protocol address (4 octets)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class ArpPacket
{
    public static final int HTYPE_OFFSET = 0;
    public static final int PTYPE_OFFSET = 2;
    public static final int HLEN_OFFSET = 4;
    public static final int PLEN_OFFSET = 5;
    public static final int OPER_OFFSET = 6;
    public static final int SHA_OFFSET = 8;
    public static final int SPA_OFFSET = 14;
    public static final int THA_OFFSET = 18;
    public static final int TPA_OFFSET = 24;
    public static final int LENGTH = 28;

    public static final int HTYPE_ETHERNET = 1;
    public static final int OPER_REQUEST = 1;
    public static final int OPER_REPLY = 2;

    /** What {@link #validate()} found. */
    public enum Verdict
    {
        OK, TOO_SHORT, UNSUPPORTED_HARDWARE, UNSUPPORTED_PROTOCOL, BAD_ADDRESS_LENGTH, BAD_OPERATION
    }

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    public ArpPacket wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    public Verdict validate()
    {
        if (length < LENGTH)
        {
            return Verdict.TOO_SHORT;
        }
        if (htype() != HTYPE_ETHERNET)
        {
            return Verdict.UNSUPPORTED_HARDWARE;
        }
        if (ptype() != EtherType.IPV4)
        {
            return Verdict.UNSUPPORTED_PROTOCOL;
        }
        if (hlen() != 6 || plen() != 4)
        {
            return Verdict.BAD_ADDRESS_LENGTH;
        }
        final int oper = oper();
        if (oper != OPER_REQUEST && oper != OPER_REPLY)
        {
            return Verdict.BAD_OPERATION;
        }
        return Verdict.OK;
    }

    public int htype()
    {
        return buffer.getShort(offset + HTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int ptype()
    {
        return buffer.getShort(offset + PTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int hlen()
    {
        return buffer.getByte(offset + HLEN_OFFSET) & 0xFF;
    }

    public int plen()
    {
        return buffer.getByte(offset + PLEN_OFFSET) & 0xFF;
    }

    public int oper()
    {
        return buffer.getShort(offset + OPER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public ArpPacket oper(final int oper)
    {
        buffer.putShort(offset + OPER_OFFSET, (short)oper, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public long sha()
    {
        return MacAddress.read(buffer, offset + SHA_OFFSET);
    }

    public ArpPacket sha(final long mac)
    {
        MacAddress.write(buffer, offset + SHA_OFFSET, mac);
        return this;
    }

    public int spa()
    {
        return buffer.getInt(offset + SPA_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ArpPacket spa(final int address)
    {
        buffer.putInt(offset + SPA_OFFSET, address, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public long tha()
    {
        return MacAddress.read(buffer, offset + THA_OFFSET);
    }

    public ArpPacket tha(final long mac)
    {
        MacAddress.write(buffer, offset + THA_OFFSET, mac);
        return this;
    }

    public int tpa()
    {
        return buffer.getInt(offset + TPA_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ArpPacket tpa(final int address)
    {
        buffer.putInt(offset + TPA_OFFSET, address, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Writes the fixed Ethernet/IPv4 preamble (HTYPE, PTYPE, HLEN, PLEN) and the operation. */
    public ArpPacket writeEthernetIpv4(final int oper)
    {
        buffer.putShort(offset + HTYPE_OFFSET, (short)HTYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + PTYPE_OFFSET, (short)EtherType.IPV4, ByteOrder.BIG_ENDIAN);
        buffer.putByte(offset + HLEN_OFFSET, (byte)6);
        buffer.putByte(offset + PLEN_OFFSET, (byte)4);
        return oper(oper);
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }
}
