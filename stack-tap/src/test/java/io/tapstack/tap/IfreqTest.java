package io.tapstack.tap;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IfreqTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);

    @Test
    void structIsFortyBytesWithNameThenUnionAtSixteen()
    {
        assertEquals(40, Ifreq.SIZE);
        assertEquals(16, Ifreq.IFNAMSIZ);
        assertEquals(16, Ifreq.FLAGS_OFFSET);
        assertEquals(16, Ifreq.INT_OFFSET);
        assertEquals(18, Ifreq.HWADDR_DATA_OFFSET);
    }

    @Test
    void encodesNameAndFlagsForTunSetIffByteForByte()
    {
        buffer.setMemory(0, 64, (byte)0xA5);
        Ifreq.clear(buffer, 0, "tst01");
        Ifreq.flags(buffer, 0, new TapConfig().tunFlags());

        final byte[] expected = new byte[40];
        expected[0] = 't';
        expected[1] = 's';
        expected[2] = 't';
        expected[3] = '0';
        expected[4] = '1';
        // IFF_TAP | IFF_NO_PI = 0x1002 as a native (little-endian on x86-64 and aarch64) short
        final ByteBuffer flags = ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short)0x1002);
        expected[16] = flags.get(0);
        expected[17] = flags.get(1);
        final byte[] actual = new byte[40];
        buffer.getBytes(0, actual);
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(actual));
        // bytes past the struct are not touched
        assertEquals((byte)0xA5, buffer.getByte(40));
        assertEquals("tst01", Ifreq.name(buffer, 0));
        assertEquals(0x1002, Ifreq.flags(buffer, 0));
    }

    @Test
    void nameOfFifteenBytesFitsAndSixteenIsRejected()
    {
        Ifreq.clear(buffer, 0, "abcdefghijklmno");
        assertEquals("abcdefghijklmno", Ifreq.name(buffer, 0));
        assertEquals(0, buffer.getByte(15), "NUL terminator");
        assertThrows(IllegalArgumentException.class, () -> Ifreq.clear(buffer, 0, "abcdefghijklmnop"));
    }

    @Test
    void rejectsCharactersLinuxRefuses()
    {
        assertThrows(IllegalArgumentException.class, () -> Ifreq.checkName("a b"));
        assertThrows(IllegalArgumentException.class, () -> Ifreq.checkName("a/b"));
        assertThrows(IllegalArgumentException.class, () -> Ifreq.checkName("a:b"));
        assertThrows(IllegalArgumentException.class, () -> new TapConfig().name("é"));
        Ifreq.checkName("");
        Ifreq.checkName("tap%d");
    }

    @Test
    void emptyNameLetsTheKernelPick()
    {
        buffer.setMemory(0, 64, (byte)0xA5);
        Ifreq.clear(buffer, 0, "");
        for (int i = 0; i < 40; i++)
        {
            assertEquals(0, buffer.getByte(i), "byte " + i);
        }
    }

    @Test
    void readsIntUnionMembersInNativeOrder()
    {
        Ifreq.clear(buffer, 0, "x");
        Ifreq.intValue(buffer, 0, 9000);
        assertEquals(9000, buffer.getInt(16, ByteOrder.nativeOrder()));
        assertEquals(9000, Ifreq.intValue(buffer, 0));
    }

    @Test
    void readsHardwareAddressFromSockaddrData()
    {
        Ifreq.clear(buffer, 0, "x");
        buffer.putShort(16, (short)Ifreq.ARPHRD_ETHER, ByteOrder.nativeOrder());
        final byte[] mac = {0x02, (byte)0xAB, (byte)0xCD, 0x01, 0x23, (byte)0xEF};
        buffer.putBytes(18, mac);
        assertEquals(0x02ABCD0123EFL, Ifreq.hwAddress(buffer, 0));
        assertEquals(Ifreq.ARPHRD_ETHER, Ifreq.hwFamily(buffer, 0));
    }
}
