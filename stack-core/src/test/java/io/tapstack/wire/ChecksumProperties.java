package io.tapstack.wire;

import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.tapstack.wire.WireFixtures.filled;
import static io.tapstack.wire.WireFixtures.referenceSum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 1071 and RFC 1624 checksum arithmetic against a naive reference, over arbitrary bytes and offsets. */
@StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
class ChecksumProperties
{
    /**
     * The data at {@code offset} in a 0xA5 buffer with {@code slack} more 0xA5 bytes after it: slack 0 makes an
     * over-read throw, slack > 0 makes one change the sum.
     */
    private static UnsafeBuffer place(final byte[] data, final int offset, final int slack)
    {
        final UnsafeBuffer buffer = filled(offset + data.length + slack);
        buffer.putBytes(offset, data);
        return buffer;
    }

    @Property
    void checksumMatchesReference(
        @ForAll @Size(max = 3000) final byte[] data,
        @ForAll @IntRange(max = 17) final int offset,
        @ForAll @IntRange(max = 9) final int slack)
    {
        final UnsafeBuffer buffer = place(data, offset, slack);
        final int reference = referenceSum(data, 0, data.length);

        assertEquals(reference, Checksum.fold(Checksum.sum(buffer, offset, data.length, 0)));
        assertEquals(~reference & 0xFFFF, Checksum.compute(buffer, offset, data.length));
    }

    @Property
    void checksumOfSubrangeMatchesReference(
        @ForAll @Size(max = 3000) final byte[] data,
        @ForAll @IntRange(max = 3000) final int fromSeed,
        @ForAll @IntRange(max = 3000) final int lengthSeed)
    {
        final int from = fromSeed % (data.length + 1);
        final int length = lengthSeed % (data.length - from + 1);
        final UnsafeBuffer buffer = new UnsafeBuffer(data);

        assertEquals(referenceSum(data, from, length), Checksum.fold(Checksum.sum(buffer, from, length, 0)));
    }

    @Property
    void verifyAcceptsDataWithComputedChecksumInserted(
        @ForAll @Size(min = 2, max = 3000) final byte[] data,
        @ForAll @IntRange(max = 17) final int offset,
        @ForAll @IntRange(max = 1499) final int fieldWord)
    {
        // the checksum field sits on a 16-bit boundary of the covered range, as in every header that has one
        final int field = 2 * (fieldWord % (data.length / 2));
        final UnsafeBuffer buffer = place(data, offset, 0);
        buffer.putShort(offset + field, (short)0, ByteOrder.BIG_ENDIAN);

        final int checksum = Checksum.compute(buffer, offset, data.length);
        buffer.putShort(offset + field, (short)checksum, ByteOrder.BIG_ENDIAN);

        assertTrue(Checksum.verify(buffer, offset, data.length));
    }

    @Property
    void verifyRejectsAnySingleBitFlip(
        @ForAll @Size(min = 2, max = 1500) final byte[] data,
        @ForAll @IntRange(max = 17) final int offset,
        @ForAll @IntRange(max = 1499) final int fieldWord,
        @ForAll @IntRange(max = 1500 * 8 - 1) final int bitSeed)
    {
        final int bit = bitSeed % (data.length * 8);
        final int field = 2 * (fieldWord % (data.length / 2));
        final UnsafeBuffer buffer = place(data, offset, 0);
        buffer.putShort(offset + field, (short)0, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + field, (short)Checksum.compute(buffer, offset, data.length), ByteOrder.BIG_ENDIAN);

        final int index = offset + bit / 8;
        buffer.putByte(index, (byte)(buffer.getByte(index) ^ (1 << (bit % 8))));

        assertFalse(Checksum.verify(buffer, offset, data.length));
    }

    @Property
    void chainedSumOverEvenSplitEqualsWholeSum(
        @ForAll @Size(max = 3000) final byte[] data,
        @ForAll @IntRange(max = 17) final int offset,
        @ForAll @IntRange(max = 1500) final int splitWord)
    {
        final int split = Math.min(2 * splitWord, data.length & ~1);
        final UnsafeBuffer buffer = place(data, offset, 0);

        final long first = Checksum.sum(buffer, offset, split, 0);
        final long chained = Checksum.sum(buffer, offset + split, data.length - split, first);

        assertEquals(Checksum.fold(Checksum.sum(buffer, offset, data.length, 0)), Checksum.fold(chained));
    }

    @Property
    void incrementalUpdateEqualsRecomputation(
        @ForAll @Size(min = 2, max = 3000) final byte[] data,
        @ForAll @IntRange(max = 1499) final int changedWord,
        @ForAll @IntRange(max = 0xFFFF) final int newWord)
    {
        final int position = 2 * (changedWord % (data.length / 2));
        final UnsafeBuffer buffer = new UnsafeBuffer(data.clone());
        final int checksum = Checksum.compute(buffer, 0, data.length);
        final int oldWord = buffer.getShort(position, ByteOrder.BIG_ENDIAN) & 0xFFFF;

        buffer.putShort(position, (short)newWord, ByteOrder.BIG_ENDIAN);
        final int recomputed = Checksum.compute(buffer, 0, data.length);
        final int adjusted = Checksum.adjust(checksum, oldWord, newWord);

        final boolean allZero = Checksum.sum(buffer, 0, data.length, 0) == 0;
        Statistics.label("new data all zero").collect(allZero);
        if (allZero)
        {
            // RFC 1624 §3: eqn. 3 cannot tell all-zero data from data summing to -0, so it answers +0 (0x0000)
            // where a recomputation answers -0 (0xFFFF). Only data with no non-zero byte at all gets here.
            assertEquals(0xFFFF, recomputed);
            assertEquals(0x0000, adjusted);
        }
        else
        {
            assertEquals(recomputed, adjusted);
        }
    }

    @Property
    void incrementalUpdateKeepsAnEmbeddedChecksumVerifying(
        @ForAll @Size(min = 4, max = 3000) final byte[] data,
        @ForAll @IntRange(max = 1499) final int fieldWord,
        @ForAll @IntRange(max = 1499) final int changedWord,
        @ForAll @IntRange(max = 0xFFFF) final int newWord)
    {
        final int words = data.length / 2;
        final int field = 2 * (fieldWord % words);
        final int position = 2 * (changedWord % words);
        Assume.that(position != field);
        final UnsafeBuffer buffer = new UnsafeBuffer(data.clone());
        buffer.putShort(field, (short)0, ByteOrder.BIG_ENDIAN);
        final int checksum = Checksum.compute(buffer, 0, data.length);
        buffer.putShort(field, (short)checksum, ByteOrder.BIG_ENDIAN);
        final int oldWord = buffer.getShort(position, ByteOrder.BIG_ENDIAN) & 0xFFFF;

        buffer.putShort(position, (short)newWord, ByteOrder.BIG_ENDIAN);
        buffer.putShort(field, (short)Checksum.adjust(checksum, oldWord, newWord), ByteOrder.BIG_ENDIAN);

        // RFC 1624 eqn. 3 yields +0 when everything but the checksum is zero, and +0 over all-zero data does not
        // verify; real headers always have a non-zero byte besides the checksum (IPv4: the version)
        Assume.that(!zeroExcept(buffer, data.length, field));
        assertTrue(Checksum.verify(buffer, 0, data.length));
    }

    private static boolean zeroExcept(final UnsafeBuffer buffer, final int length, final int field)
    {
        for (int i = 0; i < length; i++)
        {
            if (i != field && i != field + 1 && buffer.getByte(i) != 0)
            {
                return false;
            }
        }
        return true;
    }

    @Property
    void pseudoHeaderSumMatchesReference(
        @ForAll final int source,
        @ForAll final int destination,
        @ForAll @IntRange(max = 0xFF) final int protocol,
        @ForAll @IntRange(max = 0xFFFF) final int length)
    {
        // RFC 768 / RFC 9293 §3.1: source, destination, zero, protocol, length
        final UnsafeBuffer pseudo = new UnsafeBuffer(new byte[12]);
        pseudo.putInt(0, source, ByteOrder.BIG_ENDIAN);
        pseudo.putInt(4, destination, ByteOrder.BIG_ENDIAN);
        pseudo.putByte(8, (byte)0);
        pseudo.putByte(9, (byte)protocol);
        pseudo.putShort(10, (short)length, ByteOrder.BIG_ENDIAN);

        assertEquals(referenceSum(pseudo.byteArray(), 0, 12),
            Checksum.fold(Checksum.pseudoHeaderSum(source, destination, protocol, length)));
    }

    @Property
    void pseudoHeaderChainedWithSegmentMatchesReference(
        @ForAll final int source,
        @ForAll final int destination,
        @ForAll @IntRange(max = 0xFF) final int protocol,
        @ForAll @Size(max = 3000) final byte[] segment,
        @ForAll @IntRange(max = 17) final int offset)
    {
        final byte[] whole = new byte[12 + segment.length];
        final UnsafeBuffer wholeBuffer = new UnsafeBuffer(whole);
        wholeBuffer.putInt(0, source, ByteOrder.BIG_ENDIAN);
        wholeBuffer.putInt(4, destination, ByteOrder.BIG_ENDIAN);
        wholeBuffer.putByte(9, (byte)protocol);
        wholeBuffer.putShort(10, (short)segment.length, ByteOrder.BIG_ENDIAN);
        wholeBuffer.putBytes(12, segment);

        final long pseudo = Checksum.pseudoHeaderSum(source, destination, protocol, segment.length);
        final long sum = Checksum.sum(place(segment, offset, 0), offset, segment.length, pseudo);

        assertEquals(~referenceSum(whole, 0, whole.length) & 0xFFFF, Checksum.finish(sum));
    }

    @Property
    void foldAlwaysYieldsSixteenBitsCongruentModulo0xFFFF(@ForAll @LongRange(max = Long.MAX_VALUE) final long acc)
    {
        final int folded = Checksum.fold(acc);

        assertTrue(folded >= 0 && folded <= 0xFFFF);
        assertEquals(acc % 0xFFFF, folded % 0xFFFF);
        assertEquals(acc == 0, folded == 0);
    }
}
