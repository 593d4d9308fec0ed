package io.tapstack.wire;

/**
 * TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4). Sequence numbers are held in an {@code int};
 * comparisons go through these methods, never a raw {@code <}, so that they stay right across the wrap.
 * "a < b" means b is reachable from a by adding less than 2^31.
 */
public final class SeqNum
{
    private SeqNum()
    {
    }

    public static boolean lt(final int a, final int b)
    {
        return a - b < 0;
    }

    public static boolean le(final int a, final int b)
    {
        return a - b <= 0;
    }

    public static boolean gt(final int a, final int b)
    {
        return a - b > 0;
    }

    public static boolean ge(final int a, final int b)
    {
        return a - b >= 0;
    }

    /** {@code start <= seq < start + length} modulo 2^32 (length up to 2^31). */
    public static boolean inWindow(final int seq, final int start, final int length)
    {
        return Integer.toUnsignedLong(seq - start) < Integer.toUnsignedLong(length);
    }

    /** The distance from {@code from} to {@code to} (may be negative if {@code to} is behind). */
    public static int diff(final int to, final int from)
    {
        return to - from;
    }

    public static int max(final int a, final int b)
    {
        return gt(a, b) ? a : b;
    }

    public static int min(final int a, final int b)
    {
        return lt(a, b) ? a : b;
    }

    /** As an unsigned number, for logs. */
    public static long unsigned(final int seq)
    {
        return Integer.toUnsignedLong(seq);
    }
}
