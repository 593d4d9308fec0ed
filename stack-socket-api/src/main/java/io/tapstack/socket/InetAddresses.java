package io.tapstack.socket;

import io.tapstack.wire.Ipv4Address;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Between java.net's {@link InetAddress} and the stack's IPv4 address in an {@code int}. */
final class InetAddresses
{
    private InetAddresses()
    {
    }

    /** The IPv4 address of {@code address}; an IPv6 one is refused (the stack speaks IPv4 only). */
    static int toInt(final InetAddress address)
    {
        if (!(address instanceof Inet4Address))
        {
            throw new IllegalArgumentException("the stack speaks IPv4 only, not " + address);
        }
        final byte[] b = address.getAddress();
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }

    /** {@code address} as an {@link InetAddress} (no name lookup). */
    static InetAddress toInet(final int address)
    {
        try
        {
            return InetAddress.getByAddress(new byte[] {(byte)(address >>> 24), (byte)(address >>> 16),
                (byte)(address >>> 8), (byte)address});
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException("four bytes are always an IPv4 address: " + Ipv4Address.toString(address),
                ex);
        }
    }
}
