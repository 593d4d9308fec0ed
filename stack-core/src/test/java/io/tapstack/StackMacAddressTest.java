package io.tapstack;

import io.tapstack.dev.MemoryLink;
import io.tapstack.time.ManualClock;
import io.tapstack.wire.MacAddress;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where a stack's MAC comes from: two stacks on one bridge must not collide unless told to. */
class StackMacAddressTest
{
    private final MemoryLink link = new MemoryLink(new ManualClock(), 0, 64, 1514);

    private long macOf(final StackConfig config)
    {
        return new NetStack(config.ipAddress("10.0.0.2/24"), link.endA()).macAddress();
    }

    @Test
    void twoStacksWithoutSeedOrMacHaveDifferentMacs()
    {
        final long first = macOf(new StackConfig());
        final long second = macOf(new StackConfig());
        assertNotEquals(first, second, MacAddress.toString(first));
        for (final long mac : new long[] {first, second})
        {
            assertTrue((mac & 0x0200_0000_0000L) != 0, "locally administered: " + MacAddress.toString(mac));
            assertFalse(MacAddress.isMulticast(mac), MacAddress.toString(mac));
        }
    }

    @Test
    void anExplicitSeedRepeatsTheMac()
    {
        assertEquals(macOf(new StackConfig().seed(7)), macOf(new StackConfig().seed(7)));
        assertNotEquals(macOf(new StackConfig().seed(7)), macOf(new StackConfig().seed(8)));
    }

    @Test
    void anExplicitMacWins()
    {
        final long mac = MacAddress.parse("02:00:00:00:00:2a");
        assertEquals(mac, macOf(new StackConfig().macAddress(mac)));
        assertEquals(mac, macOf(new StackConfig().seed(7).macAddress(mac)));
    }
}
