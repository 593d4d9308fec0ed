package io.tapstack.examples;

import io.tapstack.NetStack;
import io.tapstack.tap.WaitableFrameDevice;
import org.agrona.concurrent.NanoClock;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a stack on its own thread: a duty cycle, and when there was nothing to do, a block on the device until
 * a frame arrives or the stack's next deadline (never a busy spin: on two cores that starves the kernel).
 * Other threads hand work to the stack thread with {@link #execute}.
 */
final class StackLoop implements AutoCloseable
{
    private static final long MAX_IDLE_NS = 100_000_000L;

    private final NetStack stack;
    private final WaitableFrameDevice waitable;
    private final NanoClock clock;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    StackLoop(final NetStack stack, final WaitableFrameDevice waitable, final NanoClock clock)
    {
        this.stack = stack;
        this.waitable = waitable;
        this.clock = clock;
        this.thread = new Thread(this::run, "tapstack");
    }

    StackLoop start()
    {
        thread.start();
        return this;
    }

    /** Runs {@code task} on the stack thread at its next duty cycle. */
    void execute(final Runnable task)
    {
        tasks.add(task);
        waitable.wakeup();
    }

    private void run()
    {
        try
        {
            while (running)
            {
                final long now = clock.nanoTime();
                Runnable task;
                while ((task = tasks.poll()) != null)
                {
                    task.run();
                }
                final int work = stack.doWork(now);
                if (work == 0 && tasks.isEmpty())
                {
                    final long untilDeadline = stack.nextDeadlineNs() - now;
                    waitable.awaitReadable(Math.max(0, Math.min(untilDeadline, MAX_IDLE_NS)));
                }
            }
        }
        finally
        {
            stopped.countDown();
        }
    }

    @Override
    public void close() throws InterruptedException
    {
        running = false;
        waitable.wakeup();
        stopped.await();
    }
}
