package io.tapstack.wire;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Shared test helpers for the wire views: 0xA5-filled buffers (so a byte a view forgot to write, or wrote where
 * it should not, stands out), hex conversion, and a deliberately naive RFC 1071 reference checksum.
 */
final class WireFixtures
{
    /** The fill byte of every emit buffer (design rule 11). */
    static final byte FILL = (byte)0xA5;

    private WireFixtures()
    {
    }

    /** A buffer of exactly {@code capacity} bytes, all 0xA5; Agrona bounds checks make any over-read throw. */
    static UnsafeBuffer filled(final int capacity)
    {
        final byte[] bytes = new byte[capacity];
        Arrays.fill(bytes, FILL);
        return new UnsafeBuffer(bytes);
    }

    /** A buffer of exactly {@code offset + data.length} bytes: 0xA5, then {@code data} at {@code offset}. */
    static UnsafeBuffer placed(final byte[] data, final int offset)
    {
        final UnsafeBuffer buffer = filled(offset + data.length);
        buffer.putBytes(offset, data);
        return buffer;
    }

    /** Parses hex digits, ignoring whitespace. */
    static byte[] hex(final String text)
    {
        final String digits = text.replaceAll("\\s+", "");
        if ((digits.length() & 1) != 0)
        {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        final byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    /** Lower-case hex, a space between octets, for readable assertion messages. */
    static String hex(final DirectBuffer buffer, final int offset, final int length)
    {
        final StringBuilder sb = new StringBuilder(length * 3);
        for (int i = 0; i < length; i++)
        {
            if (i > 0)
            {
                sb.append(' ');
            }
            sb.append(String.format("%02x", buffer.getByte(offset + i) & 0xFF));
        }
        return sb.toString();
    }

    static String hex(final byte[] bytes)
    {
        return hex(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    /**
     * RFC 1071 §1 the slow, obvious way: 16-bit big-endian words, an odd last byte padded with zero on the right,
     * each addition folded with an end-around carry. Returns the folded sum (not complemented).
     */
    static int referenceSum(final byte[] data, final int offset, final int length)
    {
        int sum = 0;
        for (int i = 0; i < length; i += 2)
        {
            final int high = data[offset + i] & 0xFF;
            final int low = i + 1 < length ? data[offset + i + 1] & 0xFF : 0;
            sum += (high << 8) | low;
            if (sum > 0xFFFF)
            {
                sum -= 0xFFFF;
            }
        }
        return sum;
    }

    /** Asserts every byte of the buffer outside {@code [from, to)} still holds the 0xA5 fill. */
    static void assertUntouchedOutside(final DirectBuffer buffer, final int from, final int to)
    {
        for (int i = 0; i < buffer.capacity(); i++)
        {
            if (i < from || i >= to)
            {
                final int index = i;
                assertEquals(FILL, buffer.getByte(i), () -> "byte " + index + " outside [" + from + ", " + to +
                    ") was overwritten");
            }
        }
    }

    /** Asserts the bytes of {@code buffer} at {@code offset} equal {@code expected}, compared as hex. */
    static void assertBytes(final byte[] expected, final DirectBuffer buffer, final int offset)
    {
        assertEquals(hex(expected), hex(buffer, offset, expected.length));
    }
}
