package io.tapstack.tcp;

/**
 * The minimum of the samples taken over a sliding time window, kept in constant space: Kathleen Nichols' windowed
 * filter, which holds the best, second-best and third-best samples of successive parts of the window (the estimate
 * Linux keeps its minimum RTT with). RFC 8985 §6.2 step 1 asks for a windowed min-filtered RTT that "can adapt when
 * migrating to significantly longer paths rather than tracking a simple global minimum".
 *
 * <p>The estimate is the true minimum of the last {@code windowNs} when samples arrive often, and never lower than
 * the minimum of a longer window: after a quiet spell a lower, older sample may linger up to one window. Times and
 * values are nanoseconds; no allocation. Owned by the stack thread.
 */
final class WindowedMin
{
    private final long windowNs;
    private final long[] times = new long[3];
    private final long[] values = new long[3];
    private boolean empty = true;

    /**
     * @param windowNs how long a sample stays the minimum, &gt; 0
     */
    WindowedMin(final long windowNs)
    {
        if (windowNs <= 0)
        {
            throw new IllegalArgumentException("windowNs must be > 0: " + windowNs);
        }
        this.windowNs = windowNs;
    }

    boolean isEmpty()
    {
        return empty;
    }

    /** The windowed minimum; meaningful unless {@link #isEmpty()}. */
    long get()
    {
        return values[0];
    }

    /** Takes sample {@code value} at {@code nowNs} (times never go back). */
    void update(final long value, final long nowNs)
    {
        if (empty || value <= values[0] || nowNs - times[2] > windowNs)
        {
            // a new minimum, or nothing in the window is recent enough to keep: start over
            set(0, value, nowNs);
            set(1, value, nowNs);
            set(2, value, nowNs);
            empty = false;
            return;
        }
        if (value <= values[1])
        {
            set(1, value, nowNs);
            set(2, value, nowNs);
        }
        else if (value <= values[2])
        {
            set(2, value, nowNs);
        }
        final long age = nowNs - times[0];
        if (age > windowNs)
        {
            // the best sample left the window: the second-best takes its place, and so on
            shiftIn(value, nowNs);
            if (nowNs - times[0] > windowNs)
            {
                shiftIn(value, nowNs);
            }
        }
        else if (times[1] == times[0] && age > windowNs / 4)
        {
            // a quarter of the window passed with one best sample: keep a fresher second-best from now
            set(1, value, nowNs);
            set(2, value, nowNs);
        }
        else if (times[2] == times[1] && age > windowNs / 2)
        {
            set(2, value, nowNs);
        }
    }

    private void shiftIn(final long value, final long nowNs)
    {
        set(0, values[1], times[1]);
        set(1, values[2], times[2]);
        set(2, value, nowNs);
    }

    private void set(final int i, final long value, final long timeNs)
    {
        values[i] = value;
        times[i] = timeNs;
    }
}
