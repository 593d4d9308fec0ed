package io.tapstack.wire;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.placed;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Ipv4Header}: write() round trips, validate() is total, accepts what write() makes and catches bit flips. */
@StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
class Ipv4HeaderProperties
{
    private static final int MIN = Ipv4Header.MIN_HEADER_LENGTH;

    private final Ipv4Header header = new Ipv4Header();

    @Property
    void writeRoundTripsEveryFieldAtAnyOffset(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(min = MIN, max = 1500) final int totalLength,
        @ForAll @IntRange(max = 0xFFFF) final int identification,
        @ForAll @IntRange(max = 0xFFFF) final int flagsAndFragmentOffset,
        @ForAll @IntRange(max = 0xFF) final int ttl,
        @ForAll @IntRange(max = 0xFF) final int protocol,
        @ForAll final int source,
        @ForAll final int destination)
    {
        final UnsafeBuffer buffer = filled(offset + totalLength + 8);

        Ipv4Header.write(buffer, offset, totalLength, identification, flagsAndFragmentOffset, ttl, protocol, source,
            destination);
        header.wrap(buffer, offset, totalLength);

        assertEquals(4, header.version());
        assertEquals(MIN, header.headerLength());
        assertEquals(0, header.tos());
        assertEquals(totalLength, header.totalLength());
        assertEquals(identification, header.identification());
        assertEquals(flagsAndFragmentOffset, header.flagsAndFragmentOffset());
        assertEquals((flagsAndFragmentOffset & 0x4000) != 0, header.dontFragment());
        assertEquals((flagsAndFragmentOffset & 0x2000) != 0, header.moreFragments());
        assertEquals((flagsAndFragmentOffset & 0x1FFF) * 8, header.fragmentOffset());
        assertEquals((flagsAndFragmentOffset & 0x3FFF) != 0, header.isFragment());
        assertEquals(ttl, header.ttl());
        assertEquals(protocol, header.protocol());
        assertEquals(source, header.source());
        assertEquals(destination, header.destination());
        assertEquals(offset, header.offset());
        assertEquals(offset + MIN, header.payloadOffset());
        assertEquals(totalLength - MIN, header.payloadLength());
        assertTrue(Checksum.verify(buffer, offset, MIN));
        assertEquals(Ipv4Header.Verdict.OK, header.validate());
        assertUntouchedOutside(buffer, offset, offset + MIN);
    }

    @Property
    void settersRoundTripAndUpdateChecksumRestoresValidity(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(min = MIN, max = 1500) final int firstTotalLength,
        @ForAll @IntRange(min = MIN, max = 1500) final int totalLength,
        @ForAll @IntRange(max = 0xFFFF) final int flagsAndFragmentOffset,
        @ForAll final int source)
    {
        final int length = Math.max(firstTotalLength, totalLength);
        final UnsafeBuffer buffer = filled(offset + length);
        Ipv4Header.write(buffer, offset, firstTotalLength, 1, 0, 64, IpProtocol.UDP, source, 0x0A00_0001);
        header.wrap(buffer, offset, length);

        header.totalLength(totalLength).flagsAndFragmentOffset(flagsAndFragmentOffset).updateChecksum();

        assertEquals(totalLength, header.totalLength());
        assertEquals(flagsAndFragmentOffset, header.flagsAndFragmentOffset());
        assertEquals(source, header.source());
        assertEquals(Ipv4Header.Verdict.OK, header.validate());
    }

    @Property
    void headerWithOptionsValidatesAfterUpdateChecksum(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(min = 5, max = 15) final int ihl,
        @ForAll @IntRange(max = 1500) final int payloadLength,
        @ForAll @Size(value = 40) final byte[] options)
    {
        final int headerLength = ihl * 4;
        final int totalLength = headerLength + payloadLength;
        final UnsafeBuffer buffer = filled(offset + totalLength);
        Ipv4Header.write(buffer, offset, totalLength, 7, Ipv4Header.FLAG_DONT_FRAGMENT, 64, IpProtocol.TCP,
            0xC0A8_0001, 0xC0A8_00C7);
        buffer.putByte(offset, (byte)(0x40 | ihl));
        buffer.putBytes(offset + MIN, options, 0, headerLength - MIN);

        header.wrap(buffer, offset, totalLength).updateChecksum();

        assertEquals(headerLength, header.headerLength());
        assertEquals(offset + headerLength, header.payloadOffset());
        assertEquals(payloadLength, header.payloadLength());
        assertEquals(Ipv4Header.Verdict.OK, header.validate());
    }

    @Property
    void writtenHeaderValidatesForAnyTotalLengthThatFits(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(min = MIN, max = Ipv4Header.MAX_DATAGRAM_LENGTH) final int totalLength,
        @ForAll @IntRange(max = 64) final int linkPadding,
        @ForAll @IntRange(max = 0xFFFF) final int identification,
        @ForAll @IntRange(max = 0xFFFF) final int flagsAndFragmentOffset,
        @ForAll @IntRange(max = 0xFF) final int ttl,
        @ForAll @IntRange(max = 0xFF) final int protocol,
        @ForAll final int source,
        @ForAll final int destination)
    {
        final UnsafeBuffer buffer = filled(offset + totalLength + linkPadding);
        Ipv4Header.write(buffer, offset, totalLength, identification, flagsAndFragmentOffset, ttl, protocol, source,
            destination);

        header.wrap(buffer, offset, totalLength + linkPadding);

        assertEquals(Ipv4Header.Verdict.OK, header.validate());
    }

    @Property
    void anySingleBitFlipInTheHeaderIsNotOk(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(min = MIN, max = 1500) final int totalLength,
        @ForAll @IntRange(max = 0xFFFF) final int identification,
        @ForAll @IntRange(max = 0xFFFF) final int flagsAndFragmentOffset,
        @ForAll @IntRange(max = 0xFF) final int ttl,
        @ForAll @IntRange(max = 0xFF) final int protocol,
        @ForAll final int source,
        @ForAll final int destination,
        @ForAll @IntRange(max = MIN * 8 - 1) final int bit)
    {
        // the payload is the 0xA5 fill: a flipped IHL bit that widens the header cannot luck into a valid sum
        final UnsafeBuffer buffer = filled(offset + totalLength);
        Ipv4Header.write(buffer, offset, totalLength, identification, flagsAndFragmentOffset, ttl, protocol, source,
            destination);
        final int index = offset + bit / 8;
        buffer.putByte(index, (byte)(buffer.getByte(index) ^ (0x80 >>> (bit % 8))));

        header.wrap(buffer, offset, totalLength);
        final Ipv4Header.Verdict verdict = header.validate();

        Statistics.label("verdict").collect(verdict);
        assertNotEquals(Ipv4Header.Verdict.OK, verdict);
    }

    @Property
    void validateNeverThrowsAndOkGuardsEveryGetter(
        @ForAll @Size(max = 2000) final byte[] bytes,
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll final boolean plausibleHeader)
    {
        if (plausibleHeader && bytes.length >= MIN)
        {
            // random bytes alone would almost never reach OK: set version 4, an IHL and total length that fit
            // (most of the time), and a correct checksum over the IHL bytes
            final UnsafeBuffer view = new UnsafeBuffer(bytes);
            final int ihl = 5 + (bytes[0] & 0xFF) % 11;
            view.putByte(Ipv4Header.VERSION_IHL_OFFSET, (byte)(0x40 | ihl));
            final int headerLength = Math.min(ihl * 4, bytes.length);
            final int totalLength = headerLength + (bytes[2] & 0xFF) * (bytes.length - headerLength + 8) / 255;
            view.putShort(Ipv4Header.TOTAL_LENGTH_OFFSET, (short)totalLength, ByteOrder.BIG_ENDIAN);
            view.putShort(Ipv4Header.CHECKSUM_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
            view.putShort(Ipv4Header.CHECKSUM_OFFSET, (short)Checksum.compute(view, 0, headerLength),
                ByteOrder.BIG_ENDIAN);
        }
        header.wrap(placed(bytes, offset), offset, bytes.length);

        final Ipv4Header.Verdict verdict = assertDoesNotThrow(header::validate);

        Statistics.label("verdict").collect(verdict);
        if (verdict == Ipv4Header.Verdict.OK)
        {
            assertDoesNotThrow(this::readEveryField);
            assertTrue(header.headerLength() >= MIN && header.headerLength() <= header.totalLength());
            assertTrue(header.payloadOffset() + header.payloadLength() <= offset + bytes.length);
        }
        Statistics.label("verdict").coverage(coverage ->
        {
            coverage.check(Ipv4Header.Verdict.OK).count(n -> n > 0);
            coverage.check(Ipv4Header.Verdict.TRUNCATED).count(n -> n > 0);
        });
    }

    @Property
    void shorterThanMinimumIsNeverOk(
        @ForAll @IntRange(max = MIN - 1) final int length,
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll final int source)
    {
        // a complete header with a total length of 20 sits in memory; only the wrapped length is short
        final UnsafeBuffer buffer = filled(offset + MIN);
        Ipv4Header.write(buffer, offset, MIN, 1, 0, 64, IpProtocol.ICMP, source, 0x0A00_0002);

        header.wrap(buffer, offset, length);

        assertNotEquals(Ipv4Header.Verdict.OK, header.validate());
    }

    @Property
    void shorterThanTotalLengthIsNeverOk(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(min = MIN + 1, max = 1500) final int totalLength,
        @ForAll @IntRange(max = 1500) final int shortfallSeed)
    {
        final int length = shortfallSeed % totalLength;
        final UnsafeBuffer buffer = filled(offset + totalLength);
        Ipv4Header.write(buffer, offset, totalLength, 1, 0, 64, IpProtocol.UDP, 0x0A00_0001, 0x0A00_0002);

        header.wrap(buffer, offset, length);

        assertNotEquals(Ipv4Header.Verdict.OK, header.validate());
    }

    private void readEveryField()
    {
        header.buffer();
        header.offset();
        header.version();
        header.headerLength();
        header.tos();
        header.totalLength();
        header.identification();
        header.flagsAndFragmentOffset();
        header.dontFragment();
        header.moreFragments();
        header.fragmentOffset();
        header.isFragment();
        header.ttl();
        header.protocol();
        header.checksum();
        header.source();
        header.destination();
        header.payloadOffset();
        header.payloadLength();
    }
}
