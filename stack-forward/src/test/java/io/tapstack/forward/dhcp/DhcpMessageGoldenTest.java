package io.tapstack.forward.dhcp;

import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A DHCPACK written into a buffer full of 0xA5, compared byte for byte with RFC 2131 §2's layout typed out by hand. */
class DhcpMessageGoldenTest
{
    @Test
    void anAckIsWrittenExactlyAsRfc2131LaysItOut()
    {
        final byte[] bytes = new byte[DhcpMessage.MIN_MAX_MESSAGE_LENGTH];
        Arrays.fill(bytes, (byte)0xA5);
        final int length = new DhcpMessage().wrap(new UnsafeBuffer(bytes), 0, bytes.length)
            .clearForWriting(DhcpMessage.OP_BOOTREPLY)
            .xid(0x3903F326)
            .flags(DhcpMessage.FLAG_BROADCAST)
            .yiaddr(Ipv4Address.parse("192.168.1.100"))
            .chaddr(MacAddress.parse("00:0b:82:01:fc:42"))
            .putByteOption(DhcpMessage.OPTION_MESSAGE_TYPE, DhcpMessage.DHCPACK)
            .putIntOption(DhcpMessage.OPTION_SERVER_IDENTIFIER, Ipv4Address.parse("192.168.1.1"))
            .putIntOption(DhcpMessage.OPTION_LEASE_TIME, 3600)
            .putIntOption(DhcpMessage.OPTION_SUBNET_MASK, Ipv4Address.parse("255.255.255.0"))
            .putShortOption(DhcpMessage.OPTION_INTERFACE_MTU, 1400)
            .endOptions();
        final byte[] expected = new byte[300];
        final HexFormat hex = HexFormat.of();
        put(expected, 0, hex.parseHex("02010600" + "3903f326" + "0000" + "8000")); // op htype hlen hops, xid, secs, flags
        put(expected, 16, hex.parseHex("c0a80164")); // yiaddr; ciaddr, siaddr, giaddr stay zero
        put(expected, 28, hex.parseHex("000b8201fc42")); // chaddr, then 10 zero octets, sname and file all zero
        put(expected, 236, hex.parseHex("63825363")); // the magic cookie
        put(expected, 240, hex.parseHex("350105" + "3604c0a80101" + "330400000e10" + "0104ffffff00" + "1a020578" + "ff"));
        assertEquals(300, length); // padded to the BOOTP minimum (RFC 1542 §3.1.1)
        assertArrayEquals(expected, Arrays.copyOf(bytes, length));
        assertEquals((byte)0xA5, bytes[300]); // nothing written past the message
    }

    private static void put(final byte[] into, final int at, final byte[] what)
    {
        System.arraycopy(what, 0, into, at, what.length);
    }
}
