package io.tapstack.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static io.tapstack.wire.WireFixtures.assertBytes;
import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A known-good IPv4 header (the usual worked example of the header checksum), decoded and reproduced. */
class Ipv4HeaderTest
{
    /** 192.168.0.1 -> 192.168.0.199, UDP, DF, TTL 64, total length 0x73, header checksum 0xb861. */
    private static final byte[] HEADER = hex("45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7");
    private static final int TOTAL_LENGTH = 0x73;
    private static final int OFFSET = 5;

    private final Ipv4Header header = new Ipv4Header();

    @Test
    void knownGoodHeaderVerifiesAndDecodes()
    {
        final UnsafeBuffer buffer = filled(OFFSET + TOTAL_LENGTH);
        buffer.putBytes(OFFSET, HEADER);

        header.wrap(buffer, OFFSET, TOTAL_LENGTH);

        assertTrue(Checksum.verify(buffer, OFFSET, Ipv4Header.MIN_HEADER_LENGTH));
        assertEquals(Ipv4Header.Verdict.OK, header.validate());
        assertEquals(4, header.version());
        assertEquals(20, header.headerLength());
        assertEquals(0, header.tos());
        assertEquals(0x73, header.totalLength());
        assertEquals(0, header.identification());
        assertTrue(header.dontFragment());
        assertFalse(header.moreFragments());
        assertFalse(header.isFragment());
        assertEquals(0, header.fragmentOffset());
        assertEquals(64, header.ttl());
        assertEquals(IpProtocol.UDP, header.protocol());
        assertEquals(0xB861, header.checksum());
        assertEquals(Ipv4Address.parse("192.168.0.1"), header.source());
        assertEquals(Ipv4Address.parse("192.168.0.199"), header.destination());
        assertEquals(OFFSET + 20, header.payloadOffset());
        assertEquals(0x73 - 20, header.payloadLength());
    }

    @Test
    void writeReproducesTheKnownGoodHeaderByteForByte()
    {
        final UnsafeBuffer buffer = filled(OFFSET + Ipv4Header.MIN_HEADER_LENGTH + 7);

        Ipv4Header.write(buffer, OFFSET, TOTAL_LENGTH, 0, Ipv4Header.FLAG_DONT_FRAGMENT, 64, IpProtocol.UDP,
            Ipv4Address.parse("192.168.0.1"), Ipv4Address.parse("192.168.0.199"));

        assertBytes(HEADER, buffer, OFFSET);
        assertUntouchedOutside(buffer, OFFSET, OFFSET + Ipv4Header.MIN_HEADER_LENGTH);
    }

    @Test
    void updateChecksumRestoresTheKnownChecksumOverAZeroedField()
    {
        final UnsafeBuffer buffer = filled(OFFSET + TOTAL_LENGTH);
        buffer.putBytes(OFFSET, HEADER);
        buffer.putShort(OFFSET + Ipv4Header.CHECKSUM_OFFSET, (short)0x1234, ByteOrder.BIG_ENDIAN);
        header.wrap(buffer, OFFSET, TOTAL_LENGTH);
        assertEquals(Ipv4Header.Verdict.BAD_CHECKSUM, header.validate());

        header.updateChecksum();

        assertEquals(0xB861, header.checksum());
        assertBytes(HEADER, buffer, OFFSET);
        assertEquals(Ipv4Header.Verdict.OK, header.validate());
    }

    @Test
    void reportsEachKindOfBadHeaderByName()
    {
        assertEquals(Ipv4Header.Verdict.TOO_SHORT, verdictOf(HEADER, 19));
        assertEquals(Ipv4Header.Verdict.TRUNCATED, verdictOf(HEADER, TOTAL_LENGTH - 1));
        assertEquals(Ipv4Header.Verdict.BAD_VERSION,
            verdictOf(hex("65 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7"), TOTAL_LENGTH));
        assertEquals(Ipv4Header.Verdict.BAD_HEADER_LENGTH,
            verdictOf(hex("44 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7"), TOTAL_LENGTH));
        // IHL 15 claims 60 bytes of header where only 40 arrived
        assertEquals(Ipv4Header.Verdict.BAD_HEADER_LENGTH,
            verdictOf(hex("4f 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7"), 40));
        assertEquals(Ipv4Header.Verdict.BAD_TOTAL_LENGTH,
            verdictOf(hex("45 00 00 13 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7"), TOTAL_LENGTH));
        assertEquals(Ipv4Header.Verdict.BAD_CHECKSUM,
            verdictOf(hex("45 00 00 73 00 00 40 00 3f 11 b8 61 c0 a8 00 01 c0 a8 00 c7"), TOTAL_LENGTH));
    }

    @Test
    void classifiesFirstMiddleAndLastFragments()
    {
        // RFC 791 §3.2: a datagram is a fragment when MF is set (first, middle) or its offset is non-zero (last)
        final UnsafeBuffer buffer = filled(OFFSET + Ipv4Header.MIN_HEADER_LENGTH);
        header.wrap(buffer, OFFSET, Ipv4Header.MIN_HEADER_LENGTH);

        final int[][] cases = {
            // flags and offset on the wire, isFragment, offset in bytes
            {Ipv4Header.FLAG_DONT_FRAGMENT, 0, 0},
            {0, 0, 0},
            {Ipv4Header.FLAG_MORE_FRAGMENTS, 1, 0},
            {Ipv4Header.FLAG_MORE_FRAGMENTS | 185, 1, 1480},
            {185, 1, 1480},
            {Ipv4Header.FLAG_DONT_FRAGMENT | 0x1FFF, 1, 65528},
        };
        for (final int[] c : cases)
        {
            Ipv4Header.write(buffer, OFFSET, 20, 1, c[0], 64, IpProtocol.UDP, 1, 2);

            assertEquals(c[1] == 1, header.isFragment(), () -> Integer.toHexString(c[0]));
            assertEquals(c[2], header.fragmentOffset(), () -> Integer.toHexString(c[0]));
            assertEquals((c[0] & Ipv4Header.FLAG_MORE_FRAGMENTS) != 0, header.moreFragments());
            assertEquals((c[0] & Ipv4Header.FLAG_DONT_FRAGMENT) != 0, header.dontFragment());
        }
    }

    private Ipv4Header.Verdict verdictOf(final byte[] headerBytes, final int length)
    {
        final UnsafeBuffer buffer = filled(OFFSET + length);
        buffer.putBytes(OFFSET, headerBytes, 0, Math.min(headerBytes.length, length));
        return header.wrap(buffer, OFFSET, length).validate();
    }
}
