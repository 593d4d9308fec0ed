package io.tapstack.tap;

import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Lets one consumer thread park while its ring is empty and the producer unpark it only when it is parked
 * (Dekker-style): the consumer publishes itself, then re-checks the ring before parking; the producer
 * publishes its message, fences, then looks for a parked consumer. Either the consumer sees the message or the
 * producer sees the consumer, so no wakeup is lost. Allocates nothing.
 */
final class Doorbell
{
    private volatile Thread waiter;

    /** Consumer: announce that this thread is about to park. Re-check the ring after this. */
    void arm()
    {
        waiter = Thread.currentThread();
    }

    /** Consumer: no longer parked. */
    void disarm()
    {
        waiter = null;
    }

    /** Producer: after publishing, unpark the consumer if it is (about to be) parked. */
    void ring()
    {
        VarHandle.fullFence();
        final Thread thread = waiter;
        if (thread != null)
        {
            LockSupport.unpark(thread);
        }
    }
}
