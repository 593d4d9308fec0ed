package io.tapstack.wire;

/** Helpers for IPv4 addresses held in an {@code int} (network order as a number: 10.0.0.1 = 0x0A000001). */
public final class Ipv4Address
{
    public static final int ANY = 0;
    public static final int BROADCAST = 0xFFFF_FFFF;

    private Ipv4Address()
    {
    }

    /** Parses dotted-quad notation. */
    public static int parse(final String text)
    {
        final String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int address = 0;
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            final int octet;
            try
            {
                octet = Integer.parseInt(part);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + text, ex);
            }
            if (octet < 0 || octet > 255)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            address = (address << 8) | octet;
        }
        return address;
    }

    public static String toString(final int address)
    {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "."
            + (address & 0xFF);
    }

    /** The netmask of a prefix length 0..32. */
    public static int mask(final int prefixLength)
    {
        if (prefixLength < 0 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length must be 0..32: " + prefixLength);
        }
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    public static boolean sameSubnet(final int a, final int b, final int prefixLength)
    {
        final int mask = mask(prefixLength);
        return (a & mask) == (b & mask);
    }

    /** Class D, 224.0.0.0/4 (RFC 1112). */
    public static boolean isMulticast(final int address)
    {
        return (address & 0xF000_0000) == 0xE000_0000;
    }

    /** 127.0.0.0/8. */
    public static boolean isLoopback(final int address)
    {
        return (address >>> 24) == 127;
    }
}
