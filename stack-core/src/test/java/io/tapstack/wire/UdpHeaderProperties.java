package io.tapstack.wire;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.placed;
import static io.tapstack.wire.WireFixtures.referenceSum;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link UdpHeader}: fields round trip at any offset; validate() is total and guards every getter; the checksum
 * agrees with a naive RFC 768 reference and never puts 0 on the wire.
 */
@StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
class UdpHeaderProperties
{
    private static final int HEADER = UdpHeader.HEADER_LENGTH;

    private final UdpHeader udp = new UdpHeader();

    @Property
    void settersRoundTripEveryFieldAtAnyOffset(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(max = 1500) final int dataLength,
        @ForAll @IntRange(max = 0xFFFF) final int sourcePort,
        @ForAll @IntRange(max = 0xFFFF) final int destinationPort,
        @ForAll @IntRange(max = 0xFFFF) final int length,
        @ForAll @IntRange(max = 0xFFFF) final int checksum)
    {
        final int available = HEADER + dataLength;
        final UnsafeBuffer buffer = filled(offset + available + 8);

        udp.wrap(buffer, offset, available).sourcePort(sourcePort).destinationPort(destinationPort).length(length)
            .checksum(checksum);

        assertEquals(sourcePort, udp.sourcePort());
        assertEquals(destinationPort, udp.destinationPort());
        assertEquals(length, udp.length());
        assertEquals(checksum, udp.checksum());
        assertEquals(offset, udp.offset());
        assertEquals(available, udp.available());
        assertEquals(offset + HEADER, udp.dataOffset());
        assertEquals(length - HEADER, udp.dataLength());
        assertUntouchedOutside(buffer, offset, offset + HEADER);
    }

    @Property
    void validateNeverThrowsAndOkGuardsEveryGetter(
        @ForAll @Size(max = 2000) final byte[] bytes,
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll final int source,
        @ForAll final int destination,
        @ForAll final boolean plausibleLength,
        @ForAll final boolean correctChecksum)
    {
        final UnsafeBuffer buffer = placed(bytes, offset);
        if (plausibleLength && bytes.length >= HEADER)
        {
            // random bytes alone would almost never carry a length that fits; trailing bytes stay
            udp.wrap(buffer, offset, bytes.length).length(HEADER + (bytes[0] & 0xFF) % (bytes.length - HEADER + 1));
            if (correctChecksum)
            {
                udp.updateChecksum(source, destination);
            }
        }
        udp.wrap(buffer, offset, bytes.length);

        final UdpHeader.Verdict verdict = assertDoesNotThrow(() -> udp.validate(source, destination));

        Statistics.label("verdict").collect(verdict);
        if (verdict == UdpHeader.Verdict.OK)
        {
            assertDoesNotThrow(this::readEveryFieldAndTheData);
            assertTrue(udp.length() >= HEADER && udp.length() <= bytes.length);
        }
        Statistics.label("verdict").coverage(coverage ->
        {
            coverage.check(UdpHeader.Verdict.OK).count(n -> n > 0);
            coverage.check(UdpHeader.Verdict.BAD_LENGTH).count(n -> n > 0);
            coverage.check(UdpHeader.Verdict.BAD_CHECKSUM).count(n -> n > 0);
        });
    }

    @Property
    void checksumAgreesWithANaiveReferenceOverThePseudoHeader(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @Size(max = 3000) final byte[] data,
        @ForAll final int source,
        @ForAll final int destination,
        @ForAll @IntRange(max = 0xFFFF) final int sourcePort,
        @ForAll @IntRange(max = 0xFFFF) final int destinationPort)
    {
        final int length = HEADER + data.length;
        final UnsafeBuffer buffer = filled(offset + length);
        buffer.putBytes(offset + HEADER, data);

        udp.wrap(buffer, offset, length).sourcePort(sourcePort).destinationPort(destinationPort).length(length)
            .updateChecksum(source, destination);

        final int expected = referenceChecksum(source, destination, sourcePort, destinationPort, data);
        assertEquals(expected, udp.checksum());
        assertNotEquals(0, udp.checksum(), "RFC 768: zero on the wire means no checksum");
        assertEquals(UdpHeader.Verdict.OK, udp.validate(source, destination));
    }

    @Property
    void aComputedZeroIsSentAsAllOnesAndStillVerifies(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @Size(min = 1, max = 700) final short[] words,
        @ForAll final int source,
        @ForAll final int destination,
        @ForAll @IntRange(max = 0xFFFF) final int sourcePort,
        @ForAll @IntRange(max = 0xFFFF) final int destinationPort)
    {
        // choose the last data word so that the whole one's complement sum is 0xFFFF: the checksum computes to 0
        final byte[] data = new byte[words.length * 2];
        final ByteBuffer view = ByteBuffer.wrap(data);
        for (final short word : words)
        {
            view.putShort(word);
        }
        data[data.length - 2] = 0;
        data[data.length - 1] = 0;
        final int sum = referenceSumWithPseudoHeader(source, destination, sourcePort, destinationPort, data);
        final int last = 0xFFFF - sum;
        data[data.length - 2] = (byte)(last >>> 8);
        data[data.length - 1] = (byte)last;
        final int length = HEADER + data.length;
        final UnsafeBuffer buffer = filled(offset + length);
        buffer.putBytes(offset + HEADER, data);

        udp.wrap(buffer, offset, length).sourcePort(sourcePort).destinationPort(destinationPort).length(length)
            .updateChecksum(source, destination);

        assertEquals(0xFFFF, udp.checksum());
        assertEquals(UdpHeader.Verdict.OK, udp.validate(source, destination));
    }

    @Property
    void anyFlippedBitInTheDatagramIsCaught(
        @ForAll @Size(min = 1, max = 600) final byte[] data,
        @ForAll final int source,
        @ForAll final int destination,
        @ForAll @IntRange(max = 1_000_000) final int bitSeed)
    {
        final int length = HEADER + data.length;
        final UnsafeBuffer buffer = filled(length);
        buffer.putBytes(HEADER, data);
        udp.wrap(buffer, 0, length).sourcePort(1234).destinationPort(53).length(length)
            .updateChecksum(source, destination);
        // skip the Length field (a changed length is a different check) and the checksum's own bits
        int bit = bitSeed % ((length - 4) * 8);
        if (bit >= 4 * 8)
        {
            bit += 4 * 8;
        }
        final int index = bit >>> 3;
        buffer.putByte(index, (byte)(buffer.getByte(index) ^ (1 << (bit & 7))));

        assertEquals(UdpHeader.Verdict.BAD_CHECKSUM, udp.validate(source, destination));
    }

    private static int referenceSumWithPseudoHeader(final int source, final int destination, final int sourcePort,
        final int destinationPort, final byte[] data)
    {
        final int length = HEADER + data.length;
        final ByteBuffer all = ByteBuffer.allocate(12 + length);
        all.putInt(source).putInt(destination).put((byte)0).put((byte)IpProtocol.UDP).putShort((short)length);
        all.putShort((short)sourcePort).putShort((short)destinationPort).putShort((short)length).putShort((short)0);
        all.put(data);
        return referenceSum(all.array(), 0, all.capacity());
    }

    /** RFC 768 the obvious way: the complement of the folded sum, and 0 sent as all ones. */
    private static int referenceChecksum(final int source, final int destination, final int sourcePort,
        final int destinationPort, final byte[] data)
    {
        final int checksum = ~referenceSumWithPseudoHeader(source, destination, sourcePort, destinationPort, data)
            & 0xFFFF;
        return checksum == 0 ? 0xFFFF : checksum;
    }

    private void readEveryFieldAndTheData()
    {
        udp.buffer();
        udp.offset();
        udp.available();
        udp.sourcePort();
        udp.destinationPort();
        udp.length();
        udp.checksum();
        udp.dataOffset();
        udp.dataLength();
        udp.buffer().getByte(udp.offset() + udp.length() - 1);
    }
}
