package io.tapstack.dev;

/**
 * A token bucket on one direction of an {@link ImpairedDevice}, as Linux's tbf queueing discipline: tokens accrue
 * at {@code bitsPerSecond} into a bucket of {@code burstBytes}; a frame leaves when the bucket holds as many
 * tokens as the frame has bytes, in arrival order; frames wait for tokens in a queue of at most
 * {@code limitBytes} (every frame counts there on its way in, even one that leaves at once, as in tbf), and a
 * frame that would overflow it is dropped. A frame longer than the bucket could never leave and is dropped too.
 * tbf's peak rate (a second, smaller bucket) is not modelled.
 *
 * <p>Times are those the device is given (simulated or real); the bucket starts full. {@link #NONE} is no limit.
 *
 * @param bitsPerSecond the rate, {@value #MIN_BITS_PER_SECOND}..{@value #MAX_BITS_PER_SECOND} (0 only in
 *                      {@link #NONE})
 * @param burstBytes    the bucket's size: how many bytes may leave back to back after an idle spell,
 *                      1..{@value #MAX_BURST_BYTES}
 * @param limitBytes    the queue's size in bytes of frames, 0..{@value #MAX_LIMIT_BYTES}
 */
public record RateLimit(long bitsPerSecond, int burstBytes, int limitBytes)
{
    /** No rate limit. */
    public static final RateLimit NONE = new RateLimit(0, 0, 0);

    /** The lowest rate: 1 kbit/s. */
    public static final long MIN_BITS_PER_SECOND = 1_000;
    /** The highest rate: 100 Gbit/s (the token arithmetic stays within a long up to here). */
    public static final long MAX_BITS_PER_SECOND = 100_000_000_000L;
    /** The largest bucket: 64 MiB. */
    public static final int MAX_BURST_BYTES = 64 << 20;
    /** The largest queue: 64 MiB (its store, allocated when the limit is set, takes 1.6 times this). */
    public static final int MAX_LIMIT_BYTES = 64 << 20;
    /** The smallest default bucket: two full-size 1500-byte-MTU Ethernet frames. */
    public static final int MIN_DEFAULT_BURST_BYTES = 2 * 1514;
    /** How long the default queue holds a frame at most: 50 ms. */
    public static final long DEFAULT_LATENCY_NS = 50_000_000L;

    public RateLimit
    {
        final boolean none = bitsPerSecond == 0 && burstBytes == 0 && limitBytes == 0;
        if (!none && (bitsPerSecond < MIN_BITS_PER_SECOND || bitsPerSecond > MAX_BITS_PER_SECOND))
        {
            throw new IllegalArgumentException("bitsPerSecond must be within " + MIN_BITS_PER_SECOND + ".."
                + MAX_BITS_PER_SECOND + ": " + bitsPerSecond);
        }
        if (!none && (burstBytes < 1 || burstBytes > MAX_BURST_BYTES))
        {
            throw new IllegalArgumentException("burstBytes must be within 1.." + MAX_BURST_BYTES + ": " + burstBytes);
        }
        if (!none && (limitBytes < 0 || limitBytes > MAX_LIMIT_BYTES))
        {
            throw new IllegalArgumentException("limitBytes must be within 0.." + MAX_LIMIT_BYTES + ": " + limitBytes);
        }
    }

    /**
     * {@code bitsPerSecond} with the default bucket (what the rate carries in 1 ms, at least
     * {@value #MIN_DEFAULT_BURST_BYTES} bytes) and the default queue (what holds a frame at most
     * {@link #DEFAULT_LATENCY_NS}, as {@link #withLatencyNs} computes it, at most {@value #MAX_LIMIT_BYTES}).
     */
    public static RateLimit of(final long bitsPerSecond)
    {
        final int burst = (int)Math.min(MAX_BURST_BYTES,
            Math.max(MIN_DEFAULT_BURST_BYTES, bitsPerSecond / 8 / 1_000));
        final RateLimit bucket = new RateLimit(bitsPerSecond, burst, 0);
        return bucket.withLimit((int)Math.min(MAX_LIMIT_BYTES, bucket.limitForLatencyNs(DEFAULT_LATENCY_NS)));
    }

    /** The same rate and queue with a bucket of {@code bytes}. */
    public RateLimit withBurst(final int bytes)
    {
        return new RateLimit(bitsPerSecond, bytes, limitBytes);
    }

    /** The same rate and bucket with a queue of {@code bytes}. */
    public RateLimit withLimit(final int bytes)
    {
        return new RateLimit(bitsPerSecond, burstBytes, bytes);
    }

    /**
     * The same rate and bucket with the queue that makes a frame wait at most {@code latencyNs}: as tc computes
     * tbf's limit from its latency, the bytes the rate carries in that time plus the bucket.
     *
     * @throws IllegalArgumentException if that queue is larger than {@value #MAX_LIMIT_BYTES} bytes
     */
    public RateLimit withLatencyNs(final long latencyNs)
    {
        if (latencyNs < 0)
        {
            throw new IllegalArgumentException("latencyNs must be >= 0: " + latencyNs);
        }
        final long limit = limitForLatencyNs(latencyNs);
        if (limit > MAX_LIMIT_BYTES)
        {
            throw new IllegalArgumentException("a latency of " + latencyNs + " ns at " + bitsPerSecond
                + " bit/s needs a queue of more than " + MAX_LIMIT_BYTES + " bytes");
        }
        return withLimit((int)limit);
    }

    /** Bytes the rate carries in {@code latencyNs}, plus the bucket; beyond the largest queue, Long.MAX_VALUE. */
    private long limitForLatencyNs(final long latencyNs)
    {
        // a double: the product of rate and latency overflows a long long before the limit is too large
        final double bytes = bitsPerSecond / 8.0 * latencyNs / 1e9 + burstBytes;
        return bytes > MAX_LIMIT_BYTES ? Long.MAX_VALUE : (long)bytes;
    }

    /** True for no limit. */
    public boolean isNone()
    {
        return bitsPerSecond == 0;
    }

    /** How long {@code bytes} take at the rate, rounded up to whole nanoseconds. */
    public long transmitNs(final long bytes)
    {
        return (bytes * 8 * 1_000_000_000L + bitsPerSecond - 1) / bitsPerSecond;
    }
}
