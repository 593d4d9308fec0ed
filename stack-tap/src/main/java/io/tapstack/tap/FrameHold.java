package io.tapstack.tap;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.ForwardingDevice;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps received frames in the TAP (or in the reader thread's ring) until {@link #release()}: a server opens its
 * listeners while the stack already runs commands and timers, and the first SYN the kernel sends is read only
 * after they exist, so it is never answered with a reset. Frames the stack sends pass at once.
 *
 * <p>While frames are held the TAP may already be readable (the kernel sends ARP, IPv6 router solicitations),
 * so the stack thread must not wait on it: {@link #idle} parks instead, for at most {@link #MAX_HELD_IDLE_NS},
 * and {@link #wakeup()} unparks it.
 *
 * <p>{@link #onReceive} runs on the stack thread; {@link #release()} and {@link #wakeup()} on any thread.
 */
final class FrameHold extends ForwardingDevice
{
    /** The longest park while held: a lost unpark costs this much, and only during start-up. */
    static final long MAX_HELD_IDLE_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private volatile boolean held;
    private volatile Thread parked;

    FrameHold(final FrameDevice inner, final boolean held)
    {
        super(inner);
        this.held = held;
    }

    boolean isHeld()
    {
        return held;
    }

    /** Lets the stack read received frames from now on; then wakes the stack thread to read them. */
    void release()
    {
        held = false;
        wakeup();
    }

    @Override
    protected int onReceive(final long nowNs, final int limit)
    {
        return held ? 0 : super.onReceive(nowNs, limit);
    }

    /** The stack thread's wait while frames are held (the device may be readable, so it cannot be waited on). */
    void idle(final long timeoutNs)
    {
        if (timeoutNs <= 0)
        {
            return;
        }
        parked = Thread.currentThread();
        if (held)
        {
            LockSupport.parkNanos(this, Math.min(timeoutNs, MAX_HELD_IDLE_NS));
        }
        parked = null;
    }

    /** Ends a park of {@link #idle} early (a command arrived, or the frames were released). */
    void wakeup()
    {
        final Thread t = parked;
        if (t != null)
        {
            LockSupport.unpark(t);
        }
    }
}
