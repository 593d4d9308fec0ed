package io.tapstack.examples;

/** Bytes over time in words: "10485760 bytes in 0.84 s (99.9 Mbit/s)". */
final class Rate
{
    private Rate()
    {
    }

    static String describe(final String what, final long bytes, final long elapsedNs)
    {
        final double seconds = Math.max(elapsedNs, 1) / 1e9;
        final double bitsPerSecond = bytes * 8 / seconds;
        final String rate = bitsPerSecond >= 1e9 ? String.format("%.2f Gbit/s", bitsPerSecond / 1e9)
            : bitsPerSecond >= 1e6 ? String.format("%.1f Mbit/s", bitsPerSecond / 1e6)
            : String.format("%.1f kbit/s", bitsPerSecond / 1e3);
        // plain digits, no grouping: scripts grep for the count
        return String.format("%s %d bytes in %.2f s (%s)", what, bytes, seconds, rate);
    }
}
