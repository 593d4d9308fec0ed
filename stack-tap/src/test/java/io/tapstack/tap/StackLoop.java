package io.tapstack.tap;

import io.tapstack.NetStack;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@link NetStack} on a thread of its own (the SHARED mode, or the stack thread of the DEDICATED mode):
 * doWork, and when it did nothing, wait on the device for at most 1 ms or until the stack's next deadline.
 * It reads the clock for each duty cycle after the tasks ran, so a reply is never older than a request a task sent.
 * Other threads hand it work with {@link #call}, since the stack may only be touched from its thread.
 */
final class StackLoop implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(StackLoop.class);
    private static final long MAX_IDLE_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final NanoClock clock = SystemNanoClock.INSTANCE;
    private final NetStack stack;
    private final WaitableFrameDevice device;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;
    /** Duty cycles run, and waits on the device after a cycle that did nothing (each a poll(2)); stack thread. */
    private long cycles;
    private long waits;

    StackLoop(final NetStack stack, final WaitableFrameDevice device, final String name)
    {
        this.stack = stack;
        this.device = device;
        this.thread = new Thread(this::run, "stack-" + name);
        thread.setDaemon(true);
    }

    StackLoop start()
    {
        thread.start();
        return this;
    }

    private void run()
    {
        try
        {
            while (running)
            {
                Runnable task;
                boolean ranTask = false;
                while ((task = tasks.poll()) != null)
                {
                    if (!ranTask)
                    {
                        stack.onTime(clock.nanoTime()); // what a task does happens at this cycle's time
                        ranTask = true;
                    }
                    task.run();
                }
                final int work = stack.doWork(clock.nanoTime());
                cycles++;
                if (work == 0)
                {
                    waits++;
                    final long untilDeadline = stack.nextDeadlineNs() - clock.nanoTime();
                    device.awaitReadable(Math.max(0, Math.min(MAX_IDLE_NS, untilDeadline)));
                }
            }
        }
        catch (final Throwable ex)
        {
            failure = ex;
            LOG.error("stack loop failed", ex);
        }
    }

    /** Runs {@code action} on the stack thread and returns its result, failing after {@code timeout}. */
    <T> T call(final Callable<T> action, final Duration timeout) throws Exception
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        tasks.add(() ->
        {
            try
            {
                result.complete(action.call());
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        });
        device.wakeup();
        return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Duty cycles so far; read on the stack thread ({@link #call}). */
    long cycles()
    {
        return cycles;
    }

    /** Waits on the device so far (after cycles that did nothing); read on the stack thread. */
    long waits()
    {
        return waits;
    }

    Thread thread()
    {
        return thread;
    }

    Throwable failure()
    {
        return failure;
    }

    @Override
    public void close() throws InterruptedException
    {
        running = false;
        device.wakeup();
        thread.join(5_000);
        if (thread.isAlive())
        {
            throw new AssertionError("stack loop did not stop within 5 s");
        }
    }
}
