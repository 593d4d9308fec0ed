package io.tapstack.socket;

import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.VarHandle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * The stack thread: runs the duty cycles of one or more {@link SocketStack}s (several share one thread in
 * tests, joined by a memory link), and when none had work, waits on the {@link Idler} until input, a command,
 * or the earliest deadline. It reads the clock once per duty cycle and hands that time to every stack.
 */
public final class StackRunner implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(StackRunner.class);
    /** An upper bound on one wait, so that a lost wake-up can only ever cost this much. */
    private static final long MAX_IDLE_NS = 100_000_000L;

    private final Idler idler;
    private final NanoClock clock;
    private final String name;
    private final CopyOnWriteArrayList<SocketStack> stacks = new CopyOnWriteArrayList<>();
    /** The same as an array: the duty cycle iterates it without allocating an iterator. */
    private volatile SocketStack[] cycle = new SocketStack[0];
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running;
    private volatile boolean sleeping;
    private volatile Thread thread;

    public StackRunner(final Idler idler, final NanoClock clock, final String name)
    {
        this.idler = idler;
        this.clock = clock;
        this.name = name;
    }

    /** Adds a socket API over a stack; before {@link #start()}. */
    public StackRunner add(final SocketStack stack)
    {
        if (running)
        {
            throw new IllegalStateException("add stacks before start()");
        }
        stacks.add(stack);
        cycle = stacks.toArray(new SocketStack[0]);
        stack.attach(this);
        return this;
    }

    public synchronized StackRunner start()
    {
        if (running)
        {
            return this;
        }
        running = true;
        final Thread t = new Thread(this::run, name);
        t.setDaemon(true);
        thread = t;
        t.start();
        return this;
    }

    /** The stack thread's id, or -1 before start (tests measure its allocations). */
    long threadId()
    {
        final Thread t = thread;
        return t == null ? -1 : t.getId();
    }

    void wake()
    {
        VarHandle.fullFence();
        if (sleeping)
        {
            idler.wakeup();
        }
    }

    void remove(final SocketStack stack)
    {
        stacks.remove(stack);
        cycle = stacks.toArray(new SocketStack[0]);
        if (stacks.isEmpty())
        {
            stop();
        }
    }

    private void run()
    {
        try
        {
            for (final SocketStack s : stacks)
            {
                s.netStack().start(clock.nanoTime());
            }
            while (running)
            {
                final long now = clock.nanoTime();
                int work = 0;
                long deadline = Long.MAX_VALUE;
                for (final SocketStack s : cycle)
                {
                    work += s.doWork(now, clock);
                    deadline = Math.min(deadline, s.nextDeadlineNs());
                }
                if (work == 0)
                {
                    sleeping = true;
                    VarHandle.fullFence();
                    if (!anyCommands())
                    {
                        idler.idle(Math.max(0, Math.min(deadline - now, MAX_IDLE_NS)));
                    }
                    sleeping = false;
                }
            }
        }
        catch (final Throwable t)
        {
            LOG.error("the stack thread failed", t);
        }
        finally
        {
            running = false;
            for (final SocketStack s : stacks)
            {
                s.onRunnerStopped();
            }
            stopped.countDown();
        }
    }

    private boolean anyCommands()
    {
        for (final SocketStack s : cycle)
        {
            if (s.hasCommands())
            {
                return true;
            }
        }
        return false;
    }

    private void stop()
    {
        running = false;
        idler.wakeup();
        final Thread t = thread;
        if (t != null && t != Thread.currentThread())
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

    /** Closes every stack it runs (failing their sockets) and stops the thread. */
    @Override
    public void close()
    {
        for (final SocketStack s : stacks)
        {
            s.close();
        }
        stop();
    }
}
