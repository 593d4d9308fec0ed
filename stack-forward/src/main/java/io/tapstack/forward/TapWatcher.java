package io.tapstack.forward;

import io.tapstack.tap.WaitableFrameDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Lets the engine's thread block in its java.nio selector (its host sockets) and still wake for a TAP frame: while
 * the engine is blocked (between {@link #arm()} and {@link #disarm()}) a helper thread poll(2)s the TAP
 * ({@link WaitableFrameDevice#awaitReadable}) and, when a frame can be read, wakes the selector once. The helper
 * never reads a frame: the engine's thread reads and writes the TAP itself, so a frame crosses no ring and no
 * other thread; only an engine that was blocked pays this one wake-up.
 *
 * <p>Why a poller beside the selector and not the other way round (the engine in poll(2) on the TAP and an eventfd,
 * the selector checked with selectNow): a java.nio selector cannot watch a foreign descriptor, and a host reply is
 * as frequent as a guest frame, so whichever side the engine does not block on needs a helper either way; host
 * sockets woken straight through the selector keep the helper off the path of every host reply.
 *
 * <p>No lost wake-up: the engine arms before it blocks, and poll(2) is level-triggered, so a frame that came after
 * the engine's last read (even before the arm) makes the armed poller fire; a selector woken before it selects
 * returns at once from its next select. The poller fires at most once per arm (a compare-and-set of the armed flag)
 * and then sleeps until the next arm, so a frame the busy engine has not read yet never spins it.
 *
 * <p>{@link #arm()} and {@link #disarm()} on the engine's thread; they allocate nothing.
 */
final class TapWatcher implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TapWatcher.class);
    /** A bound on one poll, so that a stop request is seen even if the device's wake-up were lost. */
    private static final long MAX_POLL_NS = 1_000_000_000L;

    private final WaitableFrameDevice device;
    private final Runnable wake;
    private final AtomicBoolean armed = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param device the TAP the engine's thread reads; only this watcher may call its {@code awaitReadable}
     * @param wake   what wakes the engine's thread (its selector's {@code wakeup}); made once
     */
    TapWatcher(final WaitableFrameDevice device, final Runnable wake, final String name)
    {
        this.device = device;
        this.wake = wake;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    TapWatcher start()
    {
        thread.start();
        return this;
    }

    /** The engine's thread is about to block: fire once when a frame can be read. */
    void arm()
    {
        armed.set(true);
        LockSupport.unpark(thread); // cheap when the poller is already in poll(2)
    }

    /**
     * The engine's thread is awake again.
     *
     * @return true when this watcher woke it (a frame came while it was armed)
     */
    boolean disarm()
    {
        return !armed.getAndSet(false);
    }

    private void run()
    {
        try
        {
            while (running)
            {
                if (!armed.get())
                {
                    LockSupport.park(this); // until the next arm (or close)
                    continue;
                }
                if (device.awaitReadable(MAX_POLL_NS) && armed.compareAndSet(true, false))
                {
                    wake.run();
                }
                // else: not readable yet (poll again while armed), or the engine woke on its own and reads the
                // frame itself; either way the loop parks until the next arm rather than spin on a readable TAP
            }
        }
        catch (final RuntimeException ex)
        {
            // the TAP has gone: the engine's thread sees it on its own reads; it still wakes at maxIdleNs at worst
            LOG.warn("the TAP watcher stopped: {}", ex.getMessage());
        }
        finally
        {
            stopped.countDown();
        }
    }

    @Override
    public void close()
    {
        running = false;
        device.wakeup();
        LockSupport.unpark(thread);
        if (thread.isAlive() && thread != Thread.currentThread())
        {
            try
            {
                stopped.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
