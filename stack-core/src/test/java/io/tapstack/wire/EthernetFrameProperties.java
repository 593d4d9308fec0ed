package io.tapstack.wire;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;

import static io.tapstack.wire.WireFixtures.assertUntouchedOutside;
import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.placed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** {@link EthernetFrame}: fields round trip at any offset; validate() is total and guards every getter. */
class EthernetFrameProperties
{
    private static final long MAX_MAC = 0xFFFF_FFFF_FFFFL;

    private final EthernetFrame frame = new EthernetFrame();

    @Property
    void settersRoundTripEveryFieldAtAnyOffset(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @IntRange(max = 1500) final int payloadLength,
        @ForAll @LongRange(max = MAX_MAC) final long destination,
        @ForAll @LongRange(max = MAX_MAC) final long source,
        @ForAll @IntRange(max = 0xFFFF) final int etherType)
    {
        final int length = EthernetFrame.HEADER_LENGTH + payloadLength;
        final UnsafeBuffer buffer = filled(offset + length + 8);

        frame.wrap(buffer, offset, length).destination(destination).source(source).etherType(etherType);

        assertEquals(EthernetFrame.Verdict.OK, frame.validate());
        assertEquals(destination, frame.destination());
        assertEquals(source, frame.source());
        assertEquals(etherType, frame.etherType());
        assertEquals(offset, frame.offset());
        assertEquals(length, frame.length());
        assertEquals(offset + EthernetFrame.HEADER_LENGTH, frame.payloadOffset());
        assertEquals(payloadLength, frame.payloadLength());
        assertUntouchedOutside(buffer, offset, offset + EthernetFrame.HEADER_LENGTH);
    }

    @Property
    void writeHeaderEmitsTheSameBytesAsTheSetters(
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @LongRange(max = MAX_MAC) final long destination,
        @ForAll @LongRange(max = MAX_MAC) final long source,
        @ForAll @IntRange(max = 0xFFFF) final int etherType)
    {
        final UnsafeBuffer bySetters = filled(offset + EthernetFrame.HEADER_LENGTH + 8);
        final UnsafeBuffer byWriteHeader = filled(offset + EthernetFrame.HEADER_LENGTH + 8);

        frame.wrap(bySetters, offset, EthernetFrame.HEADER_LENGTH)
            .etherType(etherType).source(source).destination(destination);
        EthernetFrame.writeHeader(byWriteHeader, offset, destination, source, etherType);

        assertArrayEquals(bySetters.byteArray(), byWriteHeader.byteArray());
    }

    @Property
    void validateNeverThrowsAndOkGuardsEveryGetter(
        @ForAll @Size(max = 2000) final byte[] bytes,
        @ForAll @IntRange(max = 64) final int offset)
    {
        // the buffer ends exactly where the frame ends, so any read past the wrapped length throws
        frame.wrap(placed(bytes, offset), offset, bytes.length);

        final EthernetFrame.Verdict verdict = assertDoesNotThrow(frame::validate);

        if (verdict == EthernetFrame.Verdict.OK)
        {
            assertDoesNotThrow(this::readEveryField);
        }
        assertEquals(bytes.length >= EthernetFrame.HEADER_LENGTH, verdict == EthernetFrame.Verdict.OK);
    }

    @Property
    void shorterThanHeaderIsNeverOk(
        @ForAll @IntRange(max = EthernetFrame.HEADER_LENGTH - 1) final int length,
        @ForAll @IntRange(max = 64) final int offset,
        @ForAll @LongRange(max = MAX_MAC) final long destination,
        @ForAll @LongRange(max = MAX_MAC) final long source,
        @ForAll @IntRange(max = 0xFFFF) final int etherType)
    {
        // a complete, plausible header sits in memory; only the wrapped length is short
        final UnsafeBuffer buffer = filled(offset + EthernetFrame.HEADER_LENGTH);
        EthernetFrame.writeHeader(buffer, offset, destination, source, etherType);

        frame.wrap(buffer, offset, length);

        assertNotEquals(EthernetFrame.Verdict.OK, frame.validate());
    }

    private void readEveryField()
    {
        frame.buffer();
        frame.offset();
        frame.length();
        frame.destination();
        frame.source();
        frame.etherType();
        frame.payloadOffset();
        frame.payloadLength();
    }
}
