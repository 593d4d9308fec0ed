package io.tapstack.wire;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Locale;

import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link MacAddress} and {@link Ipv4Address}: text and wire round trips. */
class AddressProperties
{
    private static final long MAX_MAC = 0xFFFF_FFFF_FFFFL;

    @Property
    void macToStringThenParseIsIdentity(@ForAll @LongRange(max = MAX_MAC) final long mac)
    {
        final String text = MacAddress.toString(mac);

        assertTrue(text.matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}"), text);
        assertEquals(mac, MacAddress.parse(text));
    }

    @Property
    void macParseAcceptsUpperCaseAndDashes(@ForAll @LongRange(max = MAX_MAC) final long mac)
    {
        final String text = MacAddress.toString(mac).toUpperCase(Locale.ROOT).replace(':', '-');

        assertEquals(mac, MacAddress.parse(text));
    }

    @Property
    void macParseThenToStringIsIdentity(
        @ForAll @IntRange(max = 255) final int a, @ForAll @IntRange(max = 255) final int b,
        @ForAll @IntRange(max = 255) final int c, @ForAll @IntRange(max = 255) final int d,
        @ForAll @IntRange(max = 255) final int e, @ForAll @IntRange(max = 255) final int f)
    {
        final String text = String.format("%02x:%02x:%02x:%02x:%02x:%02x", a, b, c, d, e, f);

        assertEquals(text, MacAddress.toString(MacAddress.parse(text)));
    }

    @Property
    void macWriteThenReadRoundTripsAtAnyOffset(
        @ForAll @LongRange(max = MAX_MAC) final long mac,
        @ForAll @IntRange(max = 64) final int offset)
    {
        final UnsafeBuffer buffer = filled(offset + 6 + 8);

        MacAddress.write(buffer, offset, mac);

        assertEquals(mac, MacAddress.read(buffer, offset));
        assertEquals((int)(mac >>> 40), buffer.getByte(offset) & 0xFF);
        assertEquals((int)(mac & 0xFF), buffer.getByte(offset + 5) & 0xFF);
        assertUntouchedOutside(buffer, offset, offset + 6);
    }

    @Property
    void locallyAdministeredIsUnicastAndLocal(@ForAll final long randomBits)
    {
        final long mac = MacAddress.locallyAdministered(randomBits);

        assertTrue(mac >= 0 && mac <= MAX_MAC);
        assertFalse(MacAddress.isMulticast(mac));
        assertTrue(((mac >>> 40) & 0x02) != 0);
    }

    @Property
    void ipv4ToStringThenParseIsIdentity(@ForAll final int address)
    {
        final String text = Ipv4Address.toString(address);

        assertTrue(text.matches("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}"), text);
        assertEquals(address, Ipv4Address.parse(text));
    }

    @Property
    void ipv4ParseThenToStringIsIdentity(
        @ForAll @IntRange(max = 255) final int a, @ForAll @IntRange(max = 255) final int b,
        @ForAll @IntRange(max = 255) final int c, @ForAll @IntRange(max = 255) final int d)
    {
        final String text = a + "." + b + "." + c + "." + d;

        assertEquals(text, Ipv4Address.toString(Ipv4Address.parse(text)));
        assertEquals((a << 24) | (b << 16) | (c << 8) | d, Ipv4Address.parse(text));
    }

    @Property
    void ipv4ParseRejectsAnOctetAbove255(
        @ForAll @IntRange(min = 256, max = 999) final int octet,
        @ForAll @IntRange(max = 3) final int position)
    {
        final String[] parts = {"10", "0", "0", "1"};
        parts[position] = Integer.toString(octet);

        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(String.join(".", parts)));
    }

    @Example
    void malformedAddressesAreRejected()
    {
        for (final String text : new String[] {"", "10.0.0", "10.0.0.1.2", "10..0.1", "10.0.0.", "a.b.c.d",
            "1000.0.0.1", "10.0.0.-1"})
        {
            assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(text), text);
        }
        for (final String text : new String[] {"", "00:11:22:33:44", "00:11:22:33:44:55:66", "00:11:22:33:44:gg",
            "00:11:22:33:44:100", "00:11:22:33::55"})
        {
            assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(text), text);
        }
    }

    @Example
    void broadcastAndMulticastAreClassified()
    {
        assertTrue(MacAddress.isBroadcast(MacAddress.BROADCAST));
        assertTrue(MacAddress.isMulticast(MacAddress.BROADCAST));
        assertTrue(MacAddress.isMulticast(MacAddress.parse("01:00:5e:00:00:01")));
        assertFalse(MacAddress.isMulticast(MacAddress.parse("02:fc:00:00:00:01")));
        assertTrue(Ipv4Address.isMulticast(Ipv4Address.parse("224.0.0.1")));
        assertTrue(Ipv4Address.isMulticast(Ipv4Address.parse("239.255.255.255")));
        assertFalse(Ipv4Address.isMulticast(Ipv4Address.parse("240.0.0.1")));
        assertTrue(Ipv4Address.isLoopback(Ipv4Address.parse("127.0.0.1")));
        assertEquals("255.255.255.255", Ipv4Address.toString(Ipv4Address.BROADCAST));
    }

    @Property
    void sameSubnetAgreesWithPrefixComparison(
        @ForAll final int a,
        @ForAll final int b,
        @ForAll @IntRange(max = 32) final int prefixLength)
    {
        final boolean expected = prefixLength == 0 || (a >>> (32 - prefixLength)) == (b >>> (32 - prefixLength));

        assertEquals(expected, Ipv4Address.sameSubnet(a, b, prefixLength));
        assertEquals(Long.bitCount(Ipv4Address.mask(prefixLength) & 0xFFFF_FFFFL), prefixLength);
    }
}
