package io.tapstack.dev;

import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The working part of a {@link RateLimit} on one {@link ImpairmentLane}: the bucket's tokens and the queue of
 * frames waiting for them, a FIFO of frames copied into one byte ring (each with its arrival time and length).
 *
 * <p>Tokens are kept in nanobits (bits times 10^9), so that {@code rate × Δt} in nanoseconds adds exactly, with no
 * rounding that would drift the rate. Departures are reckoned in the link's own time, not the time the lane is
 * asked to release: the head frame leaves at {@code max(its arrival, the previous departure)} or, if the bucket is
 * short then, when the missing tokens have accrued. A late {@link #release} (a real-time stack that woke late)
 * sends the frames that were due together but charges each at its due time, so the long-run rate stays exact.
 *
 * <p>The ring is allocated when a limit is first set, and grown (frames kept) when a larger limit is set; nothing
 * is allocated per frame. Owned by the stack thread.
 */
final class TokenBucketQueue
{
    /** Offer outcomes. */
    static final int SENT = 0;
    static final int QUEUED = 1;
    static final int DROPPED = 2;

    private static final long NANOBITS_PER_BYTE = 8 * 1_000_000_000L;
    /** A queued frame: its arrival time (8 bytes), its length (4), then its bytes; records are 8-byte aligned. */
    private static final int ARRIVAL_OFFSET = 0;
    private static final int LENGTH_OFFSET = 8;
    private static final int HEADER = 16;

    private final int maxFrame;
    private RateLimit limit = RateLimit.NONE;
    /** Capacity of the bucket in nanobits. */
    private long capacity;
    /** Tokens in nanobits at {@link #tokensNs}; 0 ≤ tokens ≤ capacity. */
    private long tokens;
    private long tokensNs;

    private UnsafeBuffer ring = new UnsafeBuffer(new byte[0]);
    /** Offset of the oldest record; of the next free byte; where the records end before they wrap to 0 (-1: none). */
    private int head;
    private int tail;
    private int wrapAt = -1;
    private int frames;
    /** Bytes of the queued frames (their lengths, as tbf's limit counts them). */
    private int queuedBytes;

    private long queued;
    private long queueDropped;
    private long oversizeDropped;

    TokenBucketQueue(final int maxFrame)
    {
        this.maxFrame = maxFrame;
    }

    /** Takes a new limit from now on: the tokens are kept (up to the new bucket), and so are queued frames. */
    void configure(final RateLimit newLimit)
    {
        if (newLimit.equals(limit))
        {
            return;
        }
        final long newCapacity = newLimit.burstBytes() * NANOBITS_PER_BYTE;
        tokens = limit.isNone() ? newCapacity : Math.min(tokens, newCapacity); // a new bucket starts full, as tbf
        capacity = newCapacity;
        limit = newLimit;
        final int needed = ringBytes(newLimit.limitBytes());
        if (needed > ring.capacity())
        {
            grow(needed);
        }
    }

    /**
     * Room for a queue of {@code limitBytes} of frames of 42 bytes or more (an ARP frame; records are 16 bytes
     * longer and 8-byte aligned), and the waste of one wrap.
     */
    private int ringBytes(final int limitBytes)
    {
        return limitBytes == 0 ? 0 : limitBytes / 5 * 8 + 8 + 2 * BitUtil.align(HEADER + maxFrame, 8);
    }

    /** A larger ring, the queued records copied into it in order (configuration time, never per frame). */
    private void grow(final int bytes)
    {
        final UnsafeBuffer bigger = new UnsafeBuffer(new byte[bytes]);
        int from = head;
        int at = 0;
        for (int i = 0; i < frames; i++)
        {
            final int size = BitUtil.align(HEADER + ring.getInt(from + LENGTH_OFFSET), 8);
            bigger.putBytes(at, ring, from, size);
            at += size;
            from += size;
            if (from == wrapAt)
            {
                from = 0;
            }
        }
        ring = bigger;
        head = 0;
        tail = at;
        wrapAt = -1;
    }

    boolean isEmpty()
    {
        return frames == 0;
    }

    /**
     * A frame arrives at {@code nowNs}: {@link #SENT} when it may leave at once (nothing queued and tokens enough:
     * the caller sends it on from its own buffer), {@link #QUEUED} (copied), or {@link #DROPPED} (counted).
     */
    int offer(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        if (length > limit.burstBytes() && !limit.isNone())
        {
            oversizeDropped++;
            return DROPPED;
        }
        if (queuedBytes + (long)length > limit.limitBytes() && !limit.isNone())
        {
            queueDropped++;
            return DROPPED;
        }
        if (frames == 0 && departureNs(nowNs, length) <= nowNs)
        {
            depart(nowNs, length);
            return SENT;
        }
        final int size = BitUtil.align(HEADER + length, 8);
        final int at = reserve(size);
        if (at < 0)
        {
            queueDropped++; // the ring is sized for frames of 42 bytes or more: only smaller ones can find it full
            return DROPPED;
        }
        ring.putLong(at + ARRIVAL_OFFSET, nowNs);
        ring.putInt(at + LENGTH_OFFSET, length);
        ring.putBytes(at + HEADER, buffer, offset, length);
        frames++;
        queuedBytes += length;
        queued++;
        return QUEUED;
    }

    /** Where a record of {@code size} bytes goes, advancing the tail; -1 when the ring has no room. */
    private int reserve(final int size)
    {
        final int capacityBytes = ring.capacity();
        if (frames == 0)
        {
            head = 0;
            tail = 0;
            wrapAt = -1;
        }
        if (wrapAt < 0)
        {
            if (tail + size <= capacityBytes)
            {
                final int at = tail;
                tail += size;
                return at;
            }
            if (size < head)
            {
                wrapAt = tail;
                tail = size;
                return 0;
            }
            return -1;
        }
        if (tail + size < head)
        {
            final int at = tail;
            tail += size;
            return at;
        }
        return -1;
    }

    private void pop(final int size)
    {
        head += size;
        frames--;
        if (head == wrapAt)
        {
            head = 0;
            wrapAt = -1;
        }
    }

    /**
     * Sends on, through {@code out}, up to {@code max} queued frames whose departure time has come.
     *
     * @return the frames sent on
     */
    int release(final long nowNs, final int max, final ImpairmentLane.Emitter out)
    {
        int count = 0;
        while (frames > 0 && count < max)
        {
            final long arrivalNs = ring.getLong(head + ARRIVAL_OFFSET);
            final int length = ring.getInt(head + LENGTH_OFFSET);
            final long dueNs = departureNs(arrivalNs, length);
            if (dueNs > nowNs)
            {
                break;
            }
            depart(arrivalNs, length);
            final int at = head;
            pop(BitUtil.align(HEADER + length, 8));
            queuedBytes -= length;
            count++;
            // popped first: the bytes stay in place until a later offer, which cannot happen during this call
            out.emit(ring, at + HEADER, length, nowNs);
        }
        return count;
    }

    /** When the head frame leaves, or {@code Long.MAX_VALUE} when none is queued. */
    long nextDueNs()
    {
        return frames == 0 ? Long.MAX_VALUE
            : departureNs(ring.getLong(head + ARRIVAL_OFFSET), ring.getInt(head + LENGTH_OFFSET));
    }

    /** When a frame of {@code length} bytes that reached the head at {@code arrivalNs} may leave. */
    private long departureNs(final long arrivalNs, final int length)
    {
        final long startNs = Math.max(arrivalNs, tokensNs);
        if (limit.isNone())
        {
            return startNs;
        }
        final long available = tokensAt(startNs);
        final long cost = length * NANOBITS_PER_BYTE;
        if (available >= cost)
        {
            return startNs;
        }
        final long rate = limit.bitsPerSecond();
        return startNs + (cost - available + rate - 1) / rate;
    }

    /** Tokens at {@code timeNs} (not before {@link #tokensNs}): accrued at the rate, up to the bucket. */
    private long tokensAt(final long timeNs)
    {
        final long elapsedNs = timeNs - tokensNs;
        if (elapsedNs <= 0)
        {
            return tokens;
        }
        final long rate = limit.bitsPerSecond();
        final long room = capacity - tokens;
        // compare before multiplying: rate × elapsed overflows a long after a few idle minutes at high rates
        return elapsedNs > room / rate ? capacity : tokens + rate * elapsedNs;
    }

    /**
     * A frame of {@code length} that reached the head at {@code arrivalNs} leaves at {@link #departureNs}: its tokens
     * are spent. When it waited for tokens, the departure was rounded up to a whole nanosecond, and the fraction of a
     * nanosecond's tokens that accrued past the frame's cost stays in the bucket even when that bucket holds exactly
     * one frame: capping it there would make every such frame a fraction later than the rate, adding up over a burst.
     */
    private void depart(final long arrivalNs, final int length)
    {
        final long startNs = Math.max(arrivalNs, tokensNs);
        if (limit.isNone())
        {
            tokensNs = startNs;
            return;
        }
        final long available = tokensAt(startNs);
        final long cost = length * NANOBITS_PER_BYTE;
        if (available >= cost)
        {
            tokens = available - cost;
            tokensNs = startNs;
            return;
        }
        final long rate = limit.bitsPerSecond();
        final long waitNs = (cost - available + rate - 1) / rate;
        tokens = available + rate * waitNs - cost; // in [0, rate): less than a nanosecond of tokens
        tokensNs = startNs + waitNs;
    }

    // ------------------------------------------------------------------------------------------------ counts

    /** Frames that had to wait for tokens. */
    long queued()
    {
        return queued;
    }

    /** Frames dropped because the queue was full. */
    long queueDropped()
    {
        return queueDropped;
    }

    /** Frames dropped because they were longer than the bucket. */
    long oversizeDropped()
    {
        return oversizeDropped;
    }

    int frames()
    {
        return frames;
    }

    int queuedBytes()
    {
        return queuedBytes;
    }
}
