package io.tapstack.tap;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Flyweight helpers over Linux's {@code struct ifreq} (netdevice(7)), the argument of TUNSETIFF and the
 * SIOC*IF* ioctls. Native byte order: the kernel reads it as a C struct.
 *
 * <pre>
 * struct ifreq {                       offset
 *     char ifr_name[IFNAMSIZ];          0   (16 bytes, NUL-terminated)
 *     union {                          16
 *         struct sockaddr ifr_hwaddr;       sa_family (2) + sa_data[14]: MAC at 18
 *         short ifr_flags;                  TUNSETIFF and SIOC[GS]IFFLAGS
 *         int   ifr_mtu;                    SIOC[GS]IFMTU
 *         int   ifr_qlen;                   SIOC[GS]IFTXQLEN
 *         struct ifmap ifr_map;             the largest member: 24 bytes on LP64
 *     };
 * };                                   40 bytes
 * </pre>
 */
final class Ifreq
{
    static final int IFNAMSIZ = 16;
    static final int SIZE = 40;
    static final int NAME_OFFSET = 0;
    static final int FLAGS_OFFSET = 16;
    static final int INT_OFFSET = 16;
    static final int HWADDR_FAMILY_OFFSET = 16;
    static final int HWADDR_DATA_OFFSET = 18;

    /** ARPHRD_ETHER: the sa_family of an Ethernet hardware address. */
    static final int ARPHRD_ETHER = 1;

    private Ifreq()
    {
    }

    /** Throws IllegalArgumentException unless {@code name} fits IFNAMSIZ with its NUL and is a plausible name. */
    static void checkName(final String name)
    {
        final byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= IFNAMSIZ)
        {
            throw new IllegalArgumentException("interface name '" + name + "' is longer than " + (IFNAMSIZ - 1)
                + " bytes");
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7F || c == '/' || c == ':')
            {
                throw new IllegalArgumentException("interface name '" + name
                    + "' has a character Linux does not allow (space, '/', ':' or non-ASCII)");
            }
        }
    }

    /** Zeroes the struct and writes {@code name} (may be empty: the kernel then picks one from a template). */
    static void clear(final MutableDirectBuffer buffer, final int offset, final String name)
    {
        checkName(name);
        buffer.setMemory(offset, SIZE, (byte)0);
        for (int i = 0; i < name.length(); i++)
        {
            buffer.putByte(offset + NAME_OFFSET + i, (byte)name.charAt(i));
        }
    }

    static String name(final MutableDirectBuffer buffer, final int offset)
    {
        final StringBuilder sb = new StringBuilder(IFNAMSIZ);
        for (int i = 0; i < IFNAMSIZ; i++)
        {
            final byte b = buffer.getByte(offset + NAME_OFFSET + i);
            if (b == 0)
            {
                break;
            }
            sb.append((char)(b & 0xFF));
        }
        return sb.toString();
    }

    static void flags(final MutableDirectBuffer buffer, final int offset, final int flags)
    {
        buffer.putShort(offset + FLAGS_OFFSET, (short)flags, ByteOrder.nativeOrder());
    }

    static int flags(final MutableDirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + FLAGS_OFFSET, ByteOrder.nativeOrder()) & 0xFFFF;
    }

    static void intValue(final MutableDirectBuffer buffer, final int offset, final int value)
    {
        buffer.putInt(offset + INT_OFFSET, value, ByteOrder.nativeOrder());
    }

    static int intValue(final MutableDirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + INT_OFFSET, ByteOrder.nativeOrder());
    }

    /** The 48-bit MAC in {@code ifr_hwaddr.sa_data}, most significant byte first as on the wire. */
    static long hwAddress(final MutableDirectBuffer buffer, final int offset)
    {
        long mac = 0;
        for (int i = 0; i < 6; i++)
        {
            mac = (mac << 8) | (buffer.getByte(offset + HWADDR_DATA_OFFSET + i) & 0xFFL);
        }
        return mac;
    }

    static int hwFamily(final MutableDirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + HWADDR_FAMILY_OFFSET, ByteOrder.nativeOrder()) & 0xFFFF;
    }
}
