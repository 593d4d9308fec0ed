package io.tapstack.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/** Helpers for 48-bit MAC addresses held in the low bits of a {@code long}; no objects per address. */
public final class MacAddress
{
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    public static final long ZERO = 0L;

    private MacAddress()
    {
    }

    public static long read(final DirectBuffer buffer, final int offset)
    {
        return ((buffer.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFFL) << 32)
            | (buffer.getInt(offset + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
    }

    public static void write(final MutableDirectBuffer buffer, final int offset, final long mac)
    {
        buffer.putShort(offset, (short)(mac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + 2, (int)mac, ByteOrder.BIG_ENDIAN);
    }

    /** Group bit set: multicast or broadcast (IEEE 802: least significant bit of the first octet). */
    public static boolean isMulticast(final long mac)
    {
        return ((mac >>> 40) & 1) != 0;
    }

    public static boolean isBroadcast(final long mac)
    {
        return mac == BROADCAST;
    }

    /** A locally administered unicast address from 46 random bits (IEEE 802: U/L bit set, group bit clear). */
    public static long locallyAdministered(final long randomBits)
    {
        final long mac = randomBits & 0xFFFF_FFFF_FFFFL;
        return (mac | 0x0200_0000_0000L) & ~0x0100_0000_0000L;
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff} (also with '-'). */
    public static long parse(final String text)
    {
        final String[] parts = text.trim().split("[:-]");
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long mac = 0;
        for (final String part : parts)
        {
            final int octet = Integer.parseInt(part, 16);
            if (part.length() > 2 || octet < 0 || octet > 255)
            {
                throw new IllegalArgumentException("not a MAC address: " + text);
            }
            mac = (mac << 8) | octet;
        }
        return mac;
    }

    public static String toString(final long mac)
    {
        final StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            final int octet = (int)((mac >>> shift) & 0xFF);
            sb.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0)
            {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
