package io.tapstack.socket;

import java.util.concurrent.TimeUnit;

/**
 * How the stack thread waits when a duty cycle found nothing to do, in the shape of Agrona's
 * {@code BackoffIdleStrategy}: first it spins ({@link #spins()} empty duty cycles with a spin-wait hint between
 * them), then yields ({@link #yields()} cycles with {@code Thread.yield()}), then parks in its {@link Idler} until a
 * frame arrives, an application queues a call, or the earliest deadline, for at most {@link #maxParkNs()}. Spinning
 * means that while the stack is busy a reply or the next request is picked up without a thread wake-up; parking
 * means that an idle stack burns no core.
 *
 * <p>Agrona's class itself does not fit: its park is a timed {@code LockSupport.parkNanos}, which neither wakes
 * when a frame arrives on the TAP nor ends at the stack's next deadline; here the park is the device's own wait
 * ({@code poll(2)} on the TAP and an eventfd), and spinning and yielding are a counter each.
 *
 * <p>Immutable. On two cores keep the spins short: a spinning stack thread takes the core the kernel's side of
 * the TAP (or the application) needs.
 */
public final class IdleBackoff
{
    /** Empty duty cycles spun before yielding: each is a full cycle (a read(2) on the TAP), about a microsecond. */
    public static final int DEFAULT_SPINS = 50;
    /** Empty duty cycles with a yield before parking. */
    public static final int DEFAULT_YIELDS = 10;
    /**
     * The longest park: a park ends early on a frame, a queued call or a deadline, so this bounds only how long a
     * stack with nothing scheduled sleeps between looks at its stop flag.
     */
    public static final long DEFAULT_MAX_PARK_NS = TimeUnit.SECONDS.toNanos(1);

    private final int spins;
    private final int yields;
    private final long maxParkNs;

    /**
     * @param spins     empty cycles spun before yielding, 0..1,000,000
     * @param yields    empty cycles yielded before parking, 0..1,000,000
     * @param maxParkNs the longest park, 1 µs..60 s
     */
    public IdleBackoff(final int spins, final int yields, final long maxParkNs)
    {
        if (spins < 0 || spins > 1_000_000)
        {
            throw new IllegalArgumentException("spins must be in 0..1000000, not " + spins);
        }
        if (yields < 0 || yields > 1_000_000)
        {
            throw new IllegalArgumentException("yields must be in 0..1000000, not " + yields);
        }
        if (maxParkNs < TimeUnit.MICROSECONDS.toNanos(1) || maxParkNs > TimeUnit.SECONDS.toNanos(60))
        {
            throw new IllegalArgumentException("maxParkNs must be in 1 µs..60 s, not " + maxParkNs);
        }
        this.spins = spins;
        this.yields = yields;
        this.maxParkNs = maxParkNs;
    }

    /** {@link #DEFAULT_SPINS}, {@link #DEFAULT_YIELDS}, {@link #DEFAULT_MAX_PARK_NS}. */
    public static IdleBackoff defaults()
    {
        return new IdleBackoff(DEFAULT_SPINS, DEFAULT_YIELDS, DEFAULT_MAX_PARK_NS);
    }

    /** Never spins nor yields: parks as soon as a cycle finds nothing (the lowest CPU, a wake-up per reply). */
    public static IdleBackoff parkAtOnce()
    {
        return new IdleBackoff(0, 0, DEFAULT_MAX_PARK_NS);
    }

    public int spins()
    {
        return spins;
    }

    public int yields()
    {
        return yields;
    }

    public long maxParkNs()
    {
        return maxParkNs;
    }

    @Override
    public String toString()
    {
        return "spins=" + spins + " yields=" + yields + " maxPark=" + TimeUnit.NANOSECONDS.toMillis(maxParkNs) + "ms";
    }
}
