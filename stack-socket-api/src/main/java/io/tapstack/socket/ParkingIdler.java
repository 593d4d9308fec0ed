package io.tapstack.socket;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/** An {@link Idler} that parks the stack thread; a wake-up before the park makes the park return at once. */
final class ParkingIdler implements Idler
{
    private final AtomicBoolean woken = new AtomicBoolean();
    private volatile Thread waiter;

    @Override
    public void idle(final long timeoutNs)
    {
        if (timeoutNs <= 0 || woken.getAndSet(false))
        {
            return;
        }
        waiter = Thread.currentThread();
        if (!woken.getAndSet(false))
        {
            LockSupport.parkNanos(this, timeoutNs);
        }
        waiter = null;
        woken.set(false);
    }

    @Override
    public void wakeup()
    {
        woken.set(true);
        final Thread t = waiter;
        if (t != null)
        {
            LockSupport.unpark(t);
        }
    }
}
