package io.tapstack.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The Internet checksum: RFC 1071 (computation), RFC 1624 (incremental update).
 *
 * <p>The one's complement sum is accumulated in a {@code long} without folding, 32 bits at a time
 * (RFC 1071 §2(C): "deferred carries"), and folded to 16 bits once at the end. Chained partial sums
 * ({@link #sum}) must cover even-length ranges except the last one.
 */
public final class Checksum
{
    private Checksum()
    {
    }

    /**
     * Adds the 16-bit big-endian words of {@code buffer[offset, offset + length)} to {@code acc}. An odd
     * trailing byte is padded with zero on the right (RFC 1071 §1). The result is not folded.
     */
    public static long sum(final DirectBuffer buffer, final int offset, final int length, final long acc)
    {
        long sum = acc;
        int i = offset;
        final int end = offset + length;
        final int end8 = offset + (length & ~7);
        while (i < end8)
        {
            final long word = buffer.getLong(i, ByteOrder.BIG_ENDIAN);
            sum += (word >>> 32) + (word & 0xFFFF_FFFFL);
            i += 8;
        }
        if (end - i >= 4)
        {
            sum += buffer.getInt(i, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (end - i >= 2)
        {
            sum += buffer.getShort(i, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            i += 2;
        }
        if (i < end)
        {
            sum += (buffer.getByte(i) & 0xFF) << 8;
        }
        return sum;
    }

    /** Folds a deferred-carry sum to 16 bits (end-around carry), not complemented. */
    public static int fold(final long acc)
    {
        long sum = acc;
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }

    /** Folds and complements: the value to write into a checksum field. */
    public static int finish(final long acc)
    {
        return ~fold(acc) & 0xFFFF;
    }

    /** The checksum of a range, ready to store in the header (the field itself must read zero while summing). */
    public static int compute(final DirectBuffer buffer, final int offset, final int length)
    {
        return finish(sum(buffer, offset, length, 0));
    }

    /** True when a range that includes its own checksum field sums to 0xFFFF, i.e. it verifies (RFC 1071 §1). */
    public static boolean verify(final DirectBuffer buffer, final int offset, final int length)
    {
        return fold(sum(buffer, offset, length, 0)) == 0xFFFF;
    }

    /**
     * What a device that offloads checksums does with a virtio-net {@code NEEDS_CSUM} frame: sums the range from
     * {@code start} to its end, the checksum field at {@code start + fieldOffset} holding the pseudo-header's partial
     * sum, and stores the complemented result there (RFC 1071 §1: the field then verifies).
     */
    public static void completePartial(final MutableDirectBuffer buffer, final int start, final int length,
        final int fieldOffset)
    {
        buffer.putShort(start + fieldOffset, (short)finish(sum(buffer, start, length, 0)), ByteOrder.BIG_ENDIAN);
    }

    /** The pseudo-header sum for UDP and TCP (RFC 768, RFC 9293 §3.1), unfolded. */
    public static long pseudoHeaderSum(final int sourceAddress, final int destinationAddress, final int protocol,
        final int length)
    {
        return (sourceAddress & 0xFFFF_FFFFL) + (destinationAddress & 0xFFFF_FFFFL) + protocol + length;
    }

    /**
     * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changed from {@code oldWord}
     * to {@code newWord}: HC' = ~(~HC + ~m + m').
     */
    public static int adjust(final int checksum, final int oldWord, final int newWord)
    {
        final long sum = (~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }
}
