package io.tapstack.socket;

import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.VarHandle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The stack thread: runs the duty cycles of one or more {@link SocketStack}s (several share one thread in
 * tests, joined by a memory link), and when none had work, backs off as its {@link IdleBackoff} says: spins a few
 * empty cycles, yields a few, then waits on the {@link Idler} until input, a command, or the earliest deadline. It
 * reads the clock once per duty cycle and hands that time to every stack.
 */
public final class StackRunner implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(StackRunner.class);

    private final Idler idler;
    private final IdleBackoff backoff;
    /** Times the thread parked in the idler (stack thread writes, any thread reads). */
    private final AtomicLong parks = new AtomicLong();
    private final NanoClock clock;
    private final String name;
    private final CopyOnWriteArrayList<SocketStack> stacks = new CopyOnWriteArrayList<>();
    /** The same as an array: the duty cycle iterates it without allocating an iterator. */
    private volatile SocketStack[] cycle = new SocketStack[0];
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running;
    private volatile boolean sleeping;
    private volatile Thread thread;

    /** A runner with {@link IdleBackoff#defaults()}. */
    public StackRunner(final Idler idler, final NanoClock clock, final String name)
    {
        this(idler, clock, name, IdleBackoff.defaults());
    }

    public StackRunner(final Idler idler, final NanoClock clock, final String name, final IdleBackoff backoff)
    {
        this.idler = idler;
        this.backoff = backoff;
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

    /** True when called by the stack thread itself. */
    boolean isStackThread()
    {
        return thread == Thread.currentThread();
    }

    /** The stack thread's id, or -1 before start (tests measure its allocations). */
    long threadId()
    {
        final Thread t = thread;
        return t == null ? -1 : t.getId();
    }

    /**
     * How many times the stack thread parked (blocked in its idler) because it had nothing to do: with idle
     * connections and nothing scheduled, one per {@link IdleBackoff#maxParkNs()} at most. Any thread.
     */
    public long parks()
    {
        return parks.get();
    }

    public IdleBackoff backoff()
    {
        return backoff;
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
            final int spins = backoff.spins();
            final int spinsAndYields = spins + backoff.yields();
            final long maxParkNs = backoff.maxParkNs();
            int idleCycles = 0;
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
                if (work > 0)
                {
                    idleCycles = 0;
                }
                else if (idleCycles < spins)
                {
                    // a frame or a command within microseconds is picked up by the next cycle, no wake-up needed
                    idleCycles++;
                    Thread.onSpinWait();
                }
                else if (idleCycles < spinsAndYields)
                {
                    idleCycles++;
                    Thread.yield();
                }
                else
                {
                    park(Math.max(0, Math.min(deadline - now, maxParkNs)));
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

    /** Blocks until a frame, a command ({@link #wake()}), or {@code timeoutNs}; a command queued meanwhile ends it. */
    private void park(final long timeoutNs)
    {
        sleeping = true;
        // Dekker with wake(): publish that we sleep, then look at the command rings; a caller publishes its
        // command, then looks at the flag: one of the two sees the other
        VarHandle.fullFence();
        if (!anyCommands())
        {
            parks.lazySet(parks.get() + 1);
            idler.idle(timeoutNs);
        }
        sleeping = false;
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
