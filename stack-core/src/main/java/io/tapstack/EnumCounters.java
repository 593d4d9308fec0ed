package io.tapstack;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters named by the constants of an enum, written by one thread (the stack thread: a plain read and a release
 * store, no lock, no allocation) and readable from any thread. {@link StackCounters} and the services beside the
 * stack (DHCP, DNS, the forwarding engine) each keep theirs in one.
 *
 * @param <E> the enum whose constants name the counters
 */
public class EnumCounters<E extends Enum<E>>
{
    private final E[] names;
    private final String prefix;
    private final int nameWidth;
    private final AtomicLongArray values;

    /**
     * @param type      the enum
     * @param prefix    put before each lower-case name in {@link #snapshot()} and {@link #describeNonZero()}
     * @param nameWidth the column the values line up at in {@link #describeNonZero()}
     */
    protected EnumCounters(final Class<E> type, final String prefix, final int nameWidth)
    {
        this.names = type.getEnumConstants();
        this.prefix = prefix;
        this.nameWidth = nameWidth;
        this.values = new AtomicLongArray(names.length);
    }

    /** The writing thread only. */
    public final void increment(final E counter)
    {
        final int i = counter.ordinal();
        values.setRelease(i, values.getPlain(i) + 1);
    }

    /** The writing thread only. */
    public final void add(final E counter, final long delta)
    {
        final int i = counter.ordinal();
        values.setRelease(i, values.getPlain(i) + delta);
    }

    /** Any thread. */
    public final long get(final E counter)
    {
        return values.getAcquire(counter.ordinal());
    }

    /** Any thread: a copy of every counter by name, in declaration order (allocates; not for the fast path). */
    public final Map<String, Long> snapshot()
    {
        final Map<String, Long> result = new LinkedHashMap<>();
        for (final E counter : names)
        {
            result.put(name(counter), get(counter));
        }
        return result;
    }

    /** Any thread: the non-zero counters, one per line, in declaration order. */
    public final String describeNonZero()
    {
        final StringBuilder sb = new StringBuilder();
        for (final E counter : names)
        {
            final long value = get(counter);
            if (value != 0)
            {
                sb.append(String.format("  %-" + nameWidth + "s %,d%n", name(counter), value));
            }
        }
        return sb.toString();
    }

    private String name(final E counter)
    {
        return prefix + counter.name().toLowerCase(Locale.ROOT);
    }
}
