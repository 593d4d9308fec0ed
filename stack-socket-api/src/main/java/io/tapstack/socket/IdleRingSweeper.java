package io.tapstack.socket;

import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gives the rings of idle TCP sockets back: every {@code periodNs} of stack time it looks at the sockets that hold
 * a ring, and each whose rings moved nothing since the last look gives back the empty ones ({@link LazyRing}).
 * It looks only at sockets holding a ring, so idle ones cost nothing once swept, and it has a deadline only while
 * some socket holds one or the {@link RingPool} keeps any (it empties after a period in which no ring was taken
 * from it): a stack with idle connections alone sleeps.
 *
 * <p>Owned by the stack thread, except {@link #bytesHeld()}.
 */
final class IdleRingSweeper
{
    private final long periodNs;
    private final AtomicLong held = new AtomicLong();
    private final RingPool pool;
    private final ArrayList<TcpSocketPump> holders = new ArrayList<>();
    private long nextSweepNs = Long.MAX_VALUE;

    /**
     * @param periodNs  how long a socket's rings must stay idle (at most twice this) before they go back
     * @param poolBytes the most bytes of given-back rings kept for new sockets ({@link RingPool})
     */
    IdleRingSweeper(final long periodNs, final long poolBytes)
    {
        this.periodNs = periodNs;
        this.pool = new RingPool(poolBytes);
    }

    /** A new ring of {@code capacity} bytes, counted here. Any thread. */
    LazyRing newRing(final int capacity)
    {
        return new LazyRing(capacity, held, pool);
    }

    RingPool pool()
    {
        return pool;
    }

    /** Bytes of every ring held by a socket now (taken and not given back; not the pool's). Any thread. */
    long bytesHeld()
    {
        return held.get();
    }

    /** {@code pump} took a ring: it is swept from now on. Stack thread. */
    void add(final TcpSocketPump pump, final long nowNs)
    {
        if (!pump.holdingRings)
        {
            pump.holdingRings = true;
            holders.add(pump);
            if (nextSweepNs == Long.MAX_VALUE)
            {
                nextSweepNs = nowNs + periodNs;
            }
        }
    }

    /** Sweeps when due; returns the sockets that gave rings back. Stack thread. */
    int doWork(final long nowNs)
    {
        if (nextSweepNs == Long.MAX_VALUE && pool.pooledBytes() > 0)
        {
            nextSweepNs = nowNs + periodNs; // a closed socket's rings went to the pool: empty it if it stays unused
        }
        if (nowNs < nextSweepNs)
        {
            return 0;
        }
        int released = 0;
        for (int i = holders.size() - 1; i >= 0; i--)
        {
            final TcpSocketPump pump = holders.get(i);
            if (!pump.sweepIdleRings())
            {
                pump.holdingRings = false;
                // swap-remove: order does not matter, and removal stays O(1)
                final TcpSocketPump last = holders.remove(holders.size() - 1);
                if (i < holders.size())
                {
                    holders.set(i, last);
                }
                released++;
            }
        }
        pool.shrinkIfUnused();
        nextSweepNs = holders.isEmpty() && pool.pooledBytes() == 0 ? Long.MAX_VALUE : nowNs + periodNs;
        return released;
    }

    /** The next sweep, or {@link Long#MAX_VALUE} while no socket holds a ring and the pool is empty. */
    long nextDeadlineNs()
    {
        return nextSweepNs;
    }
}
