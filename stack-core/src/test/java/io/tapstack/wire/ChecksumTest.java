package io.tapstack.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.hex;
import static io.tapstack.wire.WireFixtures.placed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The worked examples of RFC 1071 and RFC 1624, byte for byte. */
class ChecksumTest
{
    /** RFC 1071 §3 "Numerical Examples": the bytes 00 01 f2 03 f4 f5 f6 f7. */
    private static final byte[] RFC1071_EXAMPLE = hex("00 01 f2 03 f4 f5 f6 f7");

    @Test
    void sumsTheRfc1071NumericalExampleToDdf2()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(RFC1071_EXAMPLE);

        // RFC 1071 §3: 0001 + f203 + f4f5 + f6f7 = 2ddf0, folded ddf0 + 2 = ddf2
        // (the unfolded sum may group words differently; it must agree modulo 0xFFFF)
        assertEquals(0x2DDF0L % 0xFFFF, Checksum.sum(buffer, 0, RFC1071_EXAMPLE.length, 0) % 0xFFFF);
        assertEquals(0xDDF2, Checksum.fold(Checksum.sum(buffer, 0, RFC1071_EXAMPLE.length, 0)));
        assertEquals(0x220D, Checksum.compute(buffer, 0, RFC1071_EXAMPLE.length));
    }

    @Test
    void sumsTheRfc1071NumericalExampleAtEveryOffsetOfA0xA5Buffer()
    {
        for (int offset = 0; offset < 9; offset++)
        {
            final UnsafeBuffer buffer = filled(offset + RFC1071_EXAMPLE.length + 9);
            buffer.putBytes(offset, RFC1071_EXAMPLE);

            assertEquals(0xDDF2, Checksum.fold(Checksum.sum(buffer, offset, RFC1071_EXAMPLE.length, 0)),
                "offset " + offset);
            assertEquals(0x220D, Checksum.compute(buffer, offset, RFC1071_EXAMPLE.length), "offset " + offset);
        }
    }

    @Test
    void verifiesTheRfc1071ExampleWithItsChecksumAppended()
    {
        final UnsafeBuffer buffer = placed(hex("00 01 f2 03 f4 f5 f6 f7 22 0d"), 3);

        assertTrue(Checksum.verify(buffer, 3, 10));

        buffer.putShort(3 + 8, (short)0x220C, ByteOrder.BIG_ENDIAN);
        assertFalse(Checksum.verify(buffer, 3, 10));
    }

    @Test
    void padsAnOddTrailingByteWithZeroOnTheRight()
    {
        // RFC 1071 §4.1 (the C code): an odd last byte counts as the high byte of a word
        final UnsafeBuffer buffer = placed(hex("00 01 f2 03 f4 f5 f6 f7 ab"), 1);

        assertEquals(Checksum.fold(0xDDF2L + 0xAB00L), Checksum.fold(Checksum.sum(buffer, 1, 9, 0)));
        assertEquals(0x88F3, Checksum.fold(Checksum.sum(buffer, 1, 9, 0)));
    }

    @Test
    void sumsAnEmptyRangeToZero()
    {
        final UnsafeBuffer buffer = filled(4);

        assertEquals(0, Checksum.sum(buffer, 2, 0, 0));
        assertEquals(0xFFFF, Checksum.compute(buffer, 2, 0));
    }

    @Test
    void incrementalUpdateReproducesTheRfc1624Example()
    {
        // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285; eqn. 3 gives HC' = 0x0000 (not RFC 1141's 0xFFFF)
        assertEquals(0x0000, Checksum.adjust(0xDD2F, 0x5555, 0x3285));
    }

    @Test
    void incrementalUpdateMatchesRecomputationOfTheRfc1624ExampleHeader()
    {
        // RFC 1624 §4: "the one's complement sum of all other header octets is 0xCD7A"
        final UnsafeBuffer buffer = filled(6);
        buffer.putShort(0, (short)0xCD7A, ByteOrder.BIG_ENDIAN);
        buffer.putShort(2, (short)0x5555, ByteOrder.BIG_ENDIAN);
        buffer.putShort(4, (short)0, ByteOrder.BIG_ENDIAN);
        assertEquals(0xDD2F, Checksum.compute(buffer, 0, 6));
        buffer.putShort(4, (short)0xDD2F, ByteOrder.BIG_ENDIAN);

        buffer.putShort(2, (short)0x3285, ByteOrder.BIG_ENDIAN);
        buffer.putShort(4, (short)Checksum.adjust(0xDD2F, 0x5555, 0x3285), ByteOrder.BIG_ENDIAN);

        assertEquals("cd 7a 32 85 00 00", hex(buffer, 0, 6));
        assertTrue(Checksum.verify(buffer, 0, 6));
    }

    @Test
    void incrementalUpdateToAllZeroDataYieldsPositiveZeroWhereRecomputationYieldsNegativeZero()
    {
        // The one corner where RFC 1624 eqn. 3 and recomputation differ: data that becomes all zero. The result
        // 0x0000 does not verify over all-zero data, so a caller that can produce all-zero data must recompute.
        final UnsafeBuffer buffer = new UnsafeBuffer(hex("08 00 f7 ff 00 00 00 00"));
        assertTrue(Checksum.verify(buffer, 0, 8));

        final int adjusted = Checksum.adjust(0xF7FF, 0x0800, 0x0000);
        buffer.putShort(0, (short)0, ByteOrder.BIG_ENDIAN);
        buffer.putShort(2, (short)0, ByteOrder.BIG_ENDIAN);

        assertEquals(0x0000, adjusted);
        assertEquals(0xFFFF, Checksum.compute(buffer, 0, 8));
    }

    @Test
    void pseudoHeaderSumOfAKnownUdpDatagramVerifies()
    {
        // UDP 192.168.0.1:1024 -> 192.168.0.199:53, 8-byte header, checksum computed by hand from RFC 768:
        // c0a8 + 0001 + c0a8 + 00c7 + 0011 + 0008 + 0400 + 0035 + 0008 = 1866e -> 866f, ~ = 7990
        final int source = 0xC0A8_0001;
        final int destination = 0xC0A8_00C7;
        final UnsafeBuffer udp = new UnsafeBuffer(hex("04 00 00 35 00 08 79 90"));

        final long pseudo = Checksum.pseudoHeaderSum(source, destination, IpProtocol.UDP, 8);

        assertEquals(0xFFFF, Checksum.fold(Checksum.sum(udp, 0, 8, pseudo)));
        udp.putShort(6, (short)0, ByteOrder.BIG_ENDIAN);
        assertEquals(0x7990, Checksum.finish(Checksum.sum(udp, 0, 8, pseudo)));
    }
}
