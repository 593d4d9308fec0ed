package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;

/**
 * The one account all of a stack's TCP buffer memory is charged to: every backing array of a send or receive buffer
 * is charged when it is allocated (or grows) and credited when it is given back. Two limits, as Linux's tcp_mem
 * pressure and hard thresholds:
 * <ul>
 * <li>at or above the {@link TcpConfig#memoryLimitBytes() limit} the stack is under pressure: buffers stop growing
 * (receive autotuning stops, a send buffer takes from the application only what its array already holds, and
 * never less than its initial size); each entry into pressure is counted in {@code TCP_MEMORY_PRESSURE};</li>
 * <li>at or above the {@link TcpConfig#memoryHardLimitBytes() hard limit} new connections are refused (counted in
 * {@code TCP_MEMORY_HARD_LIMIT}); connections that exist go on within the windows they announced.</li>
 * </ul>
 * A window already announced is never taken back (RFC 9293 §3.8.6.2.1; RFC 7323 §2.4): a receive buffer may always
 * allocate up to the limit it offered, so the bytes in use can pass the limit by what was promised before it was
 * reached. The bytes in use are a gauge in {@code TCP_MEMORY_BYTES}.
 *
 * <p>Owned by the stack thread; not thread-safe.
 */
public final class TcpMemory
{
    private final long limitBytes;
    private final long hardLimitBytes;
    /** Null for an account that reports nothing (a buffer made on its own, in a test). */
    private final StackCounters counters;
    private long inUseBytes;
    private boolean pressure;

    /**
     * @param limitBytes     the pressure threshold: no buffer grows at or above it.
     * @param hardLimitBytes no new connection at or above it; at least {@code limitBytes}.
     * @param counters       where the gauge and the events go; null for none.
     */
    TcpMemory(final long limitBytes, final long hardLimitBytes, final StackCounters counters)
    {
        if (limitBytes <= 0 || hardLimitBytes < limitBytes)
        {
            throw new IllegalArgumentException("need 0 < limit <= hard limit: " + limitBytes + ", " + hardLimitBytes);
        }
        this.limitBytes = limitBytes;
        this.hardLimitBytes = hardLimitBytes;
        this.counters = counters;
    }

    /** The account of a stack with {@code config}'s limits. */
    TcpMemory(final TcpConfig config, final StackCounters counters)
    {
        this(config.memoryLimitBytes(), config.memoryHardLimitBytes(), counters);
    }

    /** An account of its own with no limit to speak of, for buffers made outside a stack. */
    static TcpMemory unlimited()
    {
        return new TcpMemory(Long.MAX_VALUE, Long.MAX_VALUE, null);
    }

    /** Bytes of buffer arrays allocated now. */
    public long inUseBytes()
    {
        return inUseBytes;
    }

    public long limitBytes()
    {
        return limitBytes;
    }

    public long hardLimitBytes()
    {
        return hardLimitBytes;
    }

    /** At or above the limit: buffers must not grow. */
    public boolean underPressure()
    {
        return pressure;
    }

    /**
     * Whether a new connection must be refused: the bytes in use reached the hard limit. Counts each refusal in
     * {@code TCP_MEMORY_HARD_LIMIT}.
     */
    boolean refusesNewConnection()
    {
        if (inUseBytes < hardLimitBytes)
        {
            return false;
        }
        if (counters != null)
        {
            counters.increment(Counter.TCP_MEMORY_HARD_LIMIT);
        }
        return true;
    }

    /**
     * A buffer's array of {@code oldBytes} was replaced by a new one of {@code newBytes}: the difference is charged,
     * and the new array counted in {@code TCP_MEMORY_ALLOCATED_BYTES}.
     */
    void grow(final int oldBytes, final int newBytes)
    {
        if (counters != null)
        {
            counters.add(Counter.TCP_MEMORY_ALLOCATED_BYTES, newBytes);
        }
        charge(newBytes - oldBytes);
    }

    /** An array of {@code bytes} more was allocated. */
    void charge(final int bytes)
    {
        inUseBytes += bytes;
        if (counters != null)
        {
            counters.add(Counter.TCP_MEMORY_BYTES, bytes);
        }
        if (!pressure && inUseBytes >= limitBytes)
        {
            pressure = true;
            if (counters != null)
            {
                counters.increment(Counter.TCP_MEMORY_PRESSURE);
            }
        }
    }

    /** An array of {@code bytes} was given back. */
    void release(final int bytes)
    {
        inUseBytes -= bytes;
        if (counters != null)
        {
            counters.add(Counter.TCP_MEMORY_BYTES, -bytes);
        }
        if (pressure && inUseBytes < limitBytes)
        {
            pressure = false;
        }
    }

    @Override
    public String toString()
    {
        return "tcp memory " + inUseBytes + " of " + limitBytes + " (hard " + hardLimitBytes + ")"
            + (pressure ? ", under pressure" : "");
    }
}
