package io.tapstack.tap;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TapConfigTest
{
    @Test
    void defaultsToTapWithoutPacketInformation()
    {
        final TapConfig config = new TapConfig();
        assertEquals(TapDevice.Mode.TAP, config.mode());
        assertEquals(0x1002, config.tunFlags());
        assertEquals(TapConfig.DEFAULT_TUN_PATH, config.tunPath());
        assertEquals("", config.name());
        assertEquals(false, config.up());
        assertEquals(false, config.offload(), "a TapDevice read by hand gives bare frames; TapStack asks for offloads");
    }

    @Test
    void tunModeAndPacketInformationChangeTheFlags()
    {
        assertEquals(0x1001, new TapConfig().mode(TapDevice.Mode.TUN).tunFlags());
        assertEquals(0x0002, new TapConfig().packetInformation(true).tunFlags());
        assertEquals(0x0001, new TapConfig().mode(TapDevice.Mode.TUN).packetInformation(true).tunFlags());
    }

    @Test
    void ioctlNumbersMatchTheKernelHeaders()
    {
        // _IOW('T', 202, int): dir write (1) << 30 | size 4 << 16 | type 'T' << 8 | nr 202
        assertEquals((1L << 30) | (4L << 16) | ('T' << 8) | 202, TapDevice.TUNSETIFF);
        // _IOR('T', 207, unsigned int), _IOW('T', 208, unsigned int), _IOW('T', 216, int)
        assertEquals((2L << 30) | (4L << 16) | ('T' << 8) | 207, TapDevice.TUNGETFEATURES);
        assertEquals((1L << 30) | (4L << 16) | ('T' << 8) | 208, TapDevice.TUNSETOFFLOAD);
        assertEquals((1L << 30) | (4L << 16) | ('T' << 8) | 216, TapDevice.TUNSETVNETHDRSZ);
        assertEquals(0x4000, TapDevice.IFF_VNET_HDR);
        assertEquals(0x01, TapDevice.TUN_F_CSUM);
        assertEquals(0x02, TapDevice.TUN_F_TSO4);
        assertEquals(0x8913, TapDevice.SIOCGIFFLAGS);
        assertEquals(0x8914, TapDevice.SIOCSIFFLAGS);
        assertEquals(0x8922, TapDevice.SIOCSIFMTU);
        assertEquals(0x8927, TapDevice.SIOCGIFHWADDR);
        assertEquals(0x8943, TapDevice.SIOCSIFTXQLEN);
        assertEquals(0x0002, TapDevice.IFF_TAP);
        assertEquals(0x1000, TapDevice.IFF_NO_PI);
    }

    @Test
    void rejectsOutOfRangeValues()
    {
        assertThrows(IllegalArgumentException.class, () -> new TapConfig().mtu(67));
        assertThrows(IllegalArgumentException.class, () -> new TapConfig().mtu(65536));
        assertThrows(IllegalArgumentException.class, () -> new TapConfig().txQueueLength(-1));
        assertThrows(IllegalArgumentException.class, () -> new TapConfig().name("sixteen-chars-xx"));
        new TapConfig().mtu(0).mtu(68).mtu(65535).txQueueLength(0);
    }

    @Test
    void pollTimeoutRoundsNanosecondsUpToMilliseconds()
    {
        assertEquals(0, TapDevice.toPollTimeoutMs(0));
        assertEquals(0, TapDevice.toPollTimeoutMs(-5));
        assertEquals(1, TapDevice.toPollTimeoutMs(1));
        assertEquals(1, TapDevice.toPollTimeoutMs(1_000_000));
        assertEquals(2, TapDevice.toPollTimeoutMs(1_000_001));
        assertEquals(-1, TapDevice.toPollTimeoutMs(Long.MAX_VALUE));
        assertEquals(Integer.MAX_VALUE, TapDevice.toPollTimeoutMs(Long.MAX_VALUE - 1));
    }
}
