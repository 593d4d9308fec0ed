package io.tapstack.forward;

import io.tapstack.NetStack;
import io.tapstack.tap.TapFrameDevice;
import io.tapstack.tap.WaitableFrameDevice;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * The engine's thread: runs the stack's duty cycle (which reads and writes the TAP itself), the engine's, and those
 * of the services beside it (a DHCP server, a DNS forwarder). When none had work it backs off as
 * {@link ForwardConfig#idleSpins}/{@link ForwardConfig#idleYields} say: more cycles with a spin-wait hint, then with
 * a yield, so that a busy engine picks up the next frame or host reply without a wake-up; then it blocks until a
 * host socket is ready, a frame arrives on the TAP, a task is submitted, or the earliest deadline comes: in one
 * poll(2) on the TAP and the selector's epoll descriptor when that is reachable ({@link TapAndSelectorPoll}), else
 * in the selector, which a {@link TapWatcher} wakes for a frame. It reads the clock once per duty cycle.
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

    private final NetStack stack;
    private final ForwardEngine engine;
    /** The engine blocks in one poll(2) on the TAP and the selector (null: it blocks in the selector, woken by the
     *  {@link #watcher}). */
    private final TapAndSelectorPoll poller;
    private final TapWatcher watcher;
    private final ForwardCounters counters;
    private final int spins;
    private final int spinsAndYields;
    private final long maxIdleNs;
    private final NanoClock clock;
    private final String name;
    private final List<DutyCycle> services = new ArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running;
    private Thread thread;

    /**
     * @param device the stack's TAP (a {@code TapFrameDevice}), which the loop's thread reads and writes and a
     *               {@link TapWatcher} polls while the loop blocks; null when the stack's device needs no waking
     */
    public ForwardLoop(final NetStack stack, final ForwardEngine engine, final WaitableFrameDevice device,
        final NanoClock clock, final String name)
    {
        this.stack = stack;
        this.engine = engine;
        this.clock = clock;
        this.name = name;
        this.counters = engine.counters();
        final ForwardConfig config = engine.config();
        this.spins = config.idleSpins();
        this.spinsAndYields = config.idleSpins() + config.idleYields();
        this.maxIdleNs = config.maxIdleNs();
        this.poller = device instanceof TapFrameDevice
            ? TapAndSelectorPoll.open(((TapFrameDevice)device).tap().fd(), engine.selector()) : null;
        this.watcher = device == null || poller != null ? null
            : new TapWatcher(device, engine.selector()::wakeup, name + "-tapwatch");
        LOG.debug("{}: the engine blocks in {}", name, poller != null ? "poll(2) on the TAP and its selector"
            : "its selector" + (watcher != null ? ", woken by a TAP watcher" : ""));
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
        if (watcher != null)
        {
            watcher.start();
        }
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
            int idleCycles = 0;
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
                if (work > 0 || !tasks.isEmpty())
                {
                    idleCycles = 0;
                }
                else if (idleCycles < spins)
                {
                    idleCycles++;
                    Thread.onSpinWait();
                }
                else if (idleCycles < spinsAndYields)
                {
                    idleCycles++;
                    Thread.yield(); // on a busy core, the guest or the host peer runs now and we see its answer next
                }
                else
                {
                    idleCycles = 0;
                    block(Math.min(deadline - now, maxIdleNs));
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

    private void block(final long timeoutNs)
    {
        if (timeoutNs <= 0)
        {
            return;
        }
        counters.increment(ForwardCounters.Counter.LOOP_BLOCKS);
        if (poller != null)
        {
            // the selector applies interest changes at its next select: select now so that the epoll set the poll
            // watches is current (a key ready meanwhile, or a wake-up this consumed, is handled without blocking)
            if (engine.select(0) > 0 || !tasks.isEmpty() || !running)
            {
                return;
            }
            if (poller.await((int)Math.min(Integer.MAX_VALUE, (timeoutNs + 999_999) / 1_000_000)))
            {
                counters.increment(ForwardCounters.Counter.LOOP_TAP_WAKEUPS);
            }
            return;
        }
        if (watcher == null)
        {
            engine.select(timeoutNs);
            return;
        }
        // armed before the select: a frame that came after this cycle's last read fires the watcher, and a
        // selector woken before select() returns from it at once
        watcher.arm();
        try
        {
            engine.select(timeoutNs);
        }
        finally
        {
            if (watcher.disarm())
            {
                counters.increment(ForwardCounters.Counter.LOOP_TAP_WAKEUPS);
            }
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
        if (watcher != null)
        {
            watcher.close();
        }
    }
}
