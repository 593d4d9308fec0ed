package io.tapstack.socket;

import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gives the rings of idle TCP sockets back: every {@code periodNs} of stack time it looks at the sockets that hold
 * a ring, and each whose rings moved nothing since the last look gives back the empty ones ({@link LazyRing}).
 * It looks only at sockets holding a ring, so idle ones cost nothing once swept, and it has a deadline only while
 * some socket holds one: a stack with idle connections alone sleeps.
 *
 * <p>Owned by the stack thread, except {@link #bytesHeld()}.
 */
final class IdleRingSweeper
{
    private final long periodNs;
    private final AtomicLong held = new AtomicLong();
    private final ArrayList<TcpSocketPump> holders = new ArrayList<>();
    private long nextSweepNs = Long.MAX_VALUE;

    /** @param periodNs how long a socket's rings must stay idle (at most twice this) before they go back */
    IdleRingSweeper(final long periodNs)
    {
        this.periodNs = periodNs;
    }

    /** A new ring of {@code capacity} bytes, counted here. Any thread. */
    LazyRing newRing(final int capacity)
    {
        return new LazyRing(capacity, held);
    }

    /** Bytes of every ring held now (taken and not given back). Any thread. */
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
        nextSweepNs = holders.isEmpty() ? Long.MAX_VALUE : nowNs + periodNs;
        return released;
    }

    /** The next sweep, or {@link Long#MAX_VALUE} while no socket holds a ring. */
    long nextDeadlineNs()
    {
        return nextSweepNs;
    }
}
