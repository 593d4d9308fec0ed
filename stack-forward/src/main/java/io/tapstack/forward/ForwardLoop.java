package io.tapstack.forward;

import io.tapstack.NetStack;
import io.tapstack.tap.RingFrameDevice;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * The engine's thread: runs the stack's duty cycle, the engine's, and those of the services beside it (a DHCP
 * server, a DNS forwarder), then, when none had work, blocks in the engine's selector until a host socket is
 * ready, a frame arrives from the TAP (its reader thread wakes the selector: {@link RingFrameDevice#armWaker}),
 * a task is submitted, or the earliest deadline comes. It reads the clock once per duty cycle.
 */
public final class ForwardLoop implements AutoCloseable
{
    /** A service that runs on the engine's thread, beside the engine (its sockets may use the engine's selector). */
    public interface DutyCycle
    {
        int doWork(long nowNs);

        default long nextDeadlineNs()
        {
            return Long.MAX_VALUE;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ForwardLoop.class);
    /** An upper bound on one wait, so that a lost wake-up can only ever cost this much. */
    private static final long MAX_IDLE_NS = 100_000_000L;

    private final NetStack stack;
    private final ForwardEngine engine;
    private final RingFrameDevice device;
    private final NanoClock clock;
    private final String name;
    private final List<DutyCycle> services = new ArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Runnable wakeSelector;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running;
    private Thread thread;

    /**
     * @param device the TAP's rings (dedicated mode), whose reader thread wakes the selector; null when the stack's
     *               device needs no waking (tests drive it themselves)
     */
    public ForwardLoop(final NetStack stack, final ForwardEngine engine, final RingFrameDevice device,
        final NanoClock clock, final String name)
    {
        this.stack = stack;
        this.engine = engine;
        this.device = device;
        this.clock = clock;
        this.name = name;
        this.wakeSelector = engine.selector()::wakeup;
    }

    /** Adds a service; before {@link #start()}. */
    public ForwardLoop add(final DutyCycle service)
    {
        if (running)
        {
            throw new IllegalStateException("add services before start()");
        }
        services.add(service);
        return this;
    }

    /** Runs {@code task} on the engine's thread at its next duty cycle. Any thread. */
    public void execute(final Runnable task)
    {
        tasks.add(task);
        engine.selector().wakeup();
    }

    public synchronized ForwardLoop start()
    {
        if (running)
        {
            return this;
        }
        running = true;
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void run()
    {
        try
        {
            stack.start(clock.nanoTime());
            while (running)
            {
                final long now = clock.nanoTime();
                int work = runTasks();
                work += stack.doWork(now);
                work += engine.doWork(now);
                long deadline = Math.min(stack.nextDeadlineNs(), engine.nextDeadlineNs());
                for (int i = 0; i < services.size(); i++)
                {
                    final DutyCycle service = services.get(i);
                    work += service.doWork(now);
                    deadline = Math.min(deadline, service.nextDeadlineNs());
                }
                if (work == 0 && tasks.isEmpty())
                {
                    idle(Math.min(deadline - now, MAX_IDLE_NS));
                }
            }
        }
        catch (final Throwable t)
        {
            LOG.error("the forwarding engine's thread failed", t);
        }
        finally
        {
            running = false;
            stopped.countDown();
        }
    }

    private void idle(final long timeoutNs)
    {
        if (timeoutNs <= 0)
        {
            return;
        }
        if (device == null)
        {
            engine.select(timeoutNs);
            return;
        }
        try
        {
            if (!device.armWaker(wakeSelector))
            {
                engine.select(timeoutNs);
            }
        }
        finally
        {
            device.disarmWaker();
        }
    }

    private int runTasks()
    {
        int n = 0;
        Runnable task;
        while ((task = tasks.poll()) != null)
        {
            n++;
            try
            {
                task.run();
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("a task on the engine's thread failed", ex);
            }
        }
        return n;
    }

    public boolean isRunning()
    {
        return running;
    }

    /** Stops the thread and waits for it. */
    @Override
    public void close()
    {
        running = false;
        engine.selector().wakeup();
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
}
