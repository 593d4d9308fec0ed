package io.tapstack.wire;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.agrona.concurrent.UnsafeBuffer;

import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.placed;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** {@link IcmpMessage}: fields round trip at any offset; validate() is total and guards every getter. */
@StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
class IcmpMessageProperties
{
    private static final int HEADER = IcmpMessage.HEADER_LENGTH;

    private final IcmpMessage icmp = new IcmpMessage();

    @Property
    void settersRoundTripEveryFieldAtAnyOffset(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(max = 1500) final int dataLength,
        @ForAll @IntRange(max = 0xFF) final int type,
        @ForAll @IntRange(max = 0xFF) final int code,
        @ForAll @IntRange(max = 0xFFFF) final int checksum,
        @ForAll @IntRange(max = 0xFFFF) final int identifier,
        @ForAll @IntRange(max = 0xFFFF) final int sequence)
    {
        final int length = HEADER + dataLength;
        final UnsafeBuffer buffer = filled(offset + length + 8);

        icmp.wrap(buffer, offset, length).type(type).code(code).checksum(checksum).identifier(identifier)
            .sequence(sequence);

        assertEquals(type, icmp.type());
        assertEquals(code, icmp.code());
        assertEquals(checksum, icmp.checksum());
        assertEquals(identifier, icmp.identifier());
        assertEquals(sequence, icmp.sequence());
        assertEquals((identifier << 16) | sequence, icmp.restOfHeader());
        assertEquals(offset, icmp.offset());
        assertEquals(length, icmp.length());
        assertEquals(offset + HEADER, icmp.dataOffset());
        assertEquals(dataLength, icmp.dataLength());
        assertUntouchedOutside(buffer, offset, offset + HEADER);
    }

    @Property
    void restOfHeaderRoundTripsAndOverlaysIdentifierAndSequence(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll final int restOfHeader)
    {
        final UnsafeBuffer buffer = filled(offset + HEADER);

        icmp.wrap(buffer, offset, HEADER).restOfHeader(restOfHeader);

        assertEquals(restOfHeader, icmp.restOfHeader());
        assertEquals(restOfHeader >>> 16, icmp.identifier());
        assertEquals(restOfHeader & 0xFFFF, icmp.sequence());
        assertUntouchedOutside(buffer, offset + 4, offset + HEADER);
    }

    @Property
    void updateChecksumMakesAnyMessageValidate(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @Size(min = HEADER, max = 2000) final byte[] message)
    {
        final UnsafeBuffer buffer = placed(message, offset);

        icmp.wrap(buffer, offset, message.length).updateChecksum();

        assertEquals(IcmpMessage.Verdict.OK, icmp.validate());
        assertEquals(0, Checksum.finish(Checksum.sum(buffer, offset, message.length, 0)));
    }

    @Property
    void validateNeverThrowsAndOkGuardsEveryGetter(
        @ForAll @Size(max = 2000) final byte[] bytes,
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll final boolean correctChecksum)
    {
        final UnsafeBuffer buffer = placed(bytes, offset);
        if (correctChecksum && bytes.length >= HEADER)
        {
            // random bytes alone would almost never verify
            icmp.wrap(buffer, offset, bytes.length).updateChecksum();
        }
        icmp.wrap(buffer, offset, bytes.length);

        final IcmpMessage.Verdict verdict = assertDoesNotThrow(icmp::validate);

        Statistics.label("verdict").collect(verdict);
        if (verdict == IcmpMessage.Verdict.OK)
        {
            assertDoesNotThrow(this::readEveryField);
        }
        Statistics.label("verdict").coverage(coverage ->
            coverage.check(IcmpMessage.Verdict.OK).count(n -> n > 0));
    }

    @Property
    void shorterThanHeaderIsNeverOk(
        @ForAll @IntRange(max = HEADER - 1) final int length,
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(max = 0xFFFF) final int identifier)
    {
        // a complete echo request with a correct checksum over all 8 bytes sits in memory; the wrapped length is
        // short (a zero-length range even "verifies" nothing)
        final UnsafeBuffer buffer = filled(offset + HEADER);
        icmp.wrap(buffer, offset, HEADER).type(IcmpMessage.TYPE_ECHO_REQUEST).code(0).identifier(identifier)
            .sequence(1).updateChecksum();

        icmp.wrap(buffer, offset, length);

        assertNotEquals(IcmpMessage.Verdict.OK, icmp.validate());
    }

    private void readEveryField()
    {
        icmp.buffer();
        icmp.offset();
        icmp.length();
        icmp.type();
        icmp.code();
        icmp.checksum();
        icmp.identifier();
        icmp.sequence();
        icmp.restOfHeader();
        icmp.dataOffset();
        icmp.dataLength();
    }
}
