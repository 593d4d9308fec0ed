package io.tapstack.socket;

import org.agrona.collections.Int2ObjectHashMap;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The read timeouts of completion-handler reads, without a scheduled task per read: a read records its deadline
 * in its socket, and the stack thread looks over the connections when the earliest deadline may have come,
 * failing each read whose deadline passed. A read that completes in time costs nothing here; a deadline moved
 * later (the next read's) only makes one look find nothing and compute the next.
 */
final class ReadDeadlines
{
    /** No look before this (System.nanoTime, as the runner's clock); lowered by any thread that arms a read. */
    private final AtomicLong nextLookNs = new AtomicLong(Long.MAX_VALUE);

    /**
     * A read with a deadline was left (any thread): the stack looks no later than {@code deadlineNs}.
     *
     * @return true when that is earlier than the stack's next look was (a parked runner must then be woken to
     *         park again for no longer than this); rare in steady state, where each read's deadline is later
     */
    boolean armed(final long deadlineNs)
    {
        long next;
        while (deadlineNs < (next = nextLookNs.get()))
        {
            if (nextLookNs.compareAndSet(next, deadlineNs))
            {
                return true;
            }
        }
        return false;
    }

    /** Stack thread: fails the reads whose deadline passed, once the earliest may have. */
    void doWork(final long nowNs, final Int2ObjectHashMap<TcpSocketPump> connections)
    {
        if (nowNs < nextLookNs.get())
        {
            return;
        }
        nextLookNs.set(Long.MAX_VALUE); // before the look: a read armed meanwhile lowers it again
        long next = Long.MAX_VALUE;
        // Agrona reuses its iterator: no allocation. A direct callback that a failed read runs here cannot change
        // the table under the loop: what it asks of the stack (close, abort, connect) goes through the command ring
        for (final TcpSocketPump pump : connections.values())
        {
            next = Math.min(next, pump.socket().expireRead(nowNs));
        }
        armed(next);
    }

    long nextDeadlineNs()
    {
        return nextLookNs.get();
    }
}
