package io.tapstack.socket;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Where application threads wait for a socket to become ready, and where the stack thread tells them it may be.
 * Blocking callers wait on a monitor; non-blocking ones leave an operation that the callback executor retries
 * after each signal. The stack thread only ever takes the monitor to notify, and only when someone waits: it is
 * never blocked by an application.
 *
 * <p>A blocked thread wakes on a signal only (or at its own deadline): it never polls, so a thousand idle readers
 * cost nothing. Lost wake-ups are excluded by a full fence on both sides (the waiter publishes itself, then
 * re-checks its condition; the stack publishes its change, then looks for waiters), and every path that can make
 * a waiter's condition true signals: a lost wake-up is a bug, which {@code ReadinessWakeUpStressTest} hunts.
 * Each time a blocked thread wakes is counted ({@link SocketStack#blockedWakeups()}).
 *
 * <p>A request-response server in the non-blocking style reads, answers with a write, and reads again, each a
 * pending operation: an operation that a callback running on the executor leaves on the other lane of the same
 * socket runs right there, in that callback's thread, if that lane is free, instead of as a new executor task
 * (one thread hand-off per request rather than three); one it leaves on its own lane runs next in the loop that
 * is running it. Either way it still runs on the callback executor (for a socket with
 * {@link SocketOptions#directCallbacks}, the executor is whoever made the operation ready). The stack signals only the lane its news
 * concerns ({@link #signalReadable()}, {@link #signalWritable()}): the response leaving the send ring wakes no
 * one for a read that is waiting for the next request.
 */
final class Readiness
{
    private static final int SPINS = 300;

    private final Object monitor = new Object();
    private final Executor executor;
    private final LongAdder wakeups;
    /** Pending non-blocking operations, in two independent lanes: a write waiting for room must never hold up
     * a read (the peer may be waiting for us to read before it reads what we write). */
    private final Lane readLane = new Lane();
    private final Lane writeLane = new Lane();
    private final SocketStack owner;
    private volatile int blockedThreads;

    /**
     * @param wakeups counts each return of a blocked thread from its wait (shared by a stack's sockets)
     * @param owner   the stack, which no blocking call may wait for on its own thread
     */
    Readiness(final Executor executor, final LongAdder wakeups, final SocketStack owner)
    {
        this.executor = executor;
        this.wakeups = wakeups;
        this.owner = owner;
    }

    /** Something changed: wake blocked threads and retry pending operations. Any thread; never blocks for long. */
    void signal()
    {
        wakeBlocked();
        readLane.signal();
        writeLane.signal();
    }

    /** Bytes (or the end of stream) arrived for the reader: wake blocked threads, retry pending reads only. */
    void signalReadable()
    {
        wakeBlocked();
        readLane.signal();
    }

    /** Room was freed for the writer: wake blocked threads, retry pending writes only. */
    void signalWritable()
    {
        wakeBlocked();
        writeLane.signal();
    }

    private void wakeBlocked()
    {
        VarHandle.fullFence();
        if (blockedThreads > 0)
        {
            synchronized (monitor)
            {
                monitor.notifyAll();
            }
        }
    }

    /** True in a thread that is running one of this socket's pending operations (on the callback executor). */
    private boolean inCallback()
    {
        return readLane.lock.isHeldByCurrentThread() || writeLane.lock.isHeldByCurrentThread();
    }

    /**
     * Blocks until {@code ready} is true or {@code deadlineNs} (System.nanoTime) passes; {@link Long#MAX_VALUE}
     * waits without limit. Application threads only.
     *
     * @return true when ready, false on timeout
     */
    boolean await(final BooleanSupplier ready, final long deadlineNs) throws InterruptedException
    {
        if (owner.onStackThread())
        {
            // a direct callback (SocketOptions.directCallbacks) that blocks: only the stack could wake it
            throw new IllegalStateException("a blocking socket call on the stack thread would wait for itself");
        }
        // a short spin first: a reply often comes within microseconds, and parking and waking a thread costs
        // tens of them; bounded, so that on two cores a spinning waiter never starves the stack for long
        for (int i = 0; i < SPINS; i++)
        {
            if (ready.getAsBoolean())
            {
                return true;
            }
            Thread.onSpinWait();
        }
        synchronized (monitor)
        {
            blockedThreads++;
            try
            {
                VarHandle.fullFence();
                while (!ready.getAsBoolean())
                {
                    if (deadlineNs == Long.MAX_VALUE)
                    {
                        monitor.wait();
                    }
                    else
                    {
                        final long remainingNs = deadlineNs - System.nanoTime();
                        if (remainingNs <= 0)
                        {
                            return false;
                        }
                        TimeUnit.NANOSECONDS.timedWait(monitor, remainingNs);
                    }
                    wakeups.increment();
                }
                return true;
            }
            finally
            {
                blockedThreads--;
            }
        }
    }

    /** One non-blocking try of a call: its result, or null when it would have to wait. */
    @FunctionalInterface
    interface Attempt<T>
    {
        T tryNow() throws IOException;
    }

    /**
     * The blocking style of a call: tries it, and waits while it would block until it succeeds, throws, or
     * {@code deadlineNs} passes ({@link Long#MAX_VALUE}: no limit).
     *
     * @param mayBeReady when to try again (cheap; checked after each signal)
     * @param onTimeout  what to throw when the deadline passes
     */
    <T> T block(final Attempt<T> attempt, final BooleanSupplier mayBeReady, final long deadlineNs,
        final Supplier<IOException> onTimeout) throws IOException
    {
        while (true)
        {
            final T result = attempt.tryNow();
            if (result != null)
            {
                return result;
            }
            try
            {
                if (!await(mayBeReady, deadlineNs))
                {
                    throw onTimeout.get();
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting");
            }
        }
    }

    /** The non-blocking style of a call: a future completed on the callback executor once the attempt succeeds. */
    <T> CompletableFuture<T> async(final Attempt<T> attempt)
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        readLane.submit(() ->
        {
            try
            {
                final T value = attempt.tryNow();
                if (value == null)
                {
                    return false;
                }
                result.complete(value);
            }
            catch (final IOException ex)
            {
                result.completeExceptionally(ex);
            }
            return true;
        });
        return result;
    }

    /** Leaves the socket's completion-handler read (see {@link Lane#submitPending}). */
    void submitRead(final PendingOperation operation)
    {
        readLane.submitPending(operation);
    }

    /** Leaves the socket's completion-handler write (see {@link Lane#submitPending}). */
    void submitWrite(final PendingOperation operation)
    {
        writeLane.submitPending(operation);
    }

    /** Leaves a write-side operation (see {@link Lane#submit}): it never waits behind a read. */
    void submitWrite(final BooleanSupplier operation)
    {
        writeLane.submit(operation);
    }

    /** One FIFO of pending non-blocking operations, retried on the callback executor after each signal. */
    private final class Lane
    {
        /** Held while the lane's operations run; a thread that holds it is on the callback executor. */
        private final ReentrantLock lock = new ReentrantLock();
        private final ConcurrentLinkedQueue<BooleanSupplier> ops = new ConcurrentLinkedQueue<>();
        private final AtomicInteger pending = new AtomicInteger();
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private final Runnable run = this::run;
        /** The lane's one completion-handler operation, tried after the queued ones; null when none is pending. */
        private volatile PendingOperation slot;
        /** Set by each wish to run the operations; cleared by the thread that runs them, before it does. */
        private volatile boolean again;

        void signal()
        {
            if (pending.get() > 0)
            {
                schedule();
            }
        }

        /**
         * Leaves an operation to be tried on the callback executor now and after every signal until it returns
         * true (it completes its own future). Operations of a lane run one at a time, in the order they were left.
         */
        void submit(final BooleanSupplier operation)
        {
            pending.incrementAndGet();
            ops.add(operation);
            if (lock.isHeldByCurrentThread())
            {
                return; // left by one of this lane's own operations: the loop running it takes this one next
            }
            if (inCallback())
            {
                // left by a callback of the other lane, on the executor already: run it here rather than hand it
                // to another thread
                drain();
                return;
            }
            schedule();
        }

        /**
         * Leaves the lane's completion-handler operation, as {@link #submit} leaves a future's, but without a queue
         * node: at most one is pending per lane (one read and one write per socket, as in NIO.2).
         */
        void submitPending(final PendingOperation operation)
        {
            if (slot != null)
            {
                throw new IllegalStateException("a completion-handler operation is pending on this socket already");
            }
            pending.incrementAndGet();
            slot = operation;
            if (lock.isHeldByCurrentThread())
            {
                return; // left by this lane's own handler (read again): the loop running it takes it next
            }
            if (inCallback())
            {
                drain();
                return;
            }
            schedule();
        }

        /** At most one retry task queued per lane, however many signals come: the executor's queue stays bounded. */
        private void schedule()
        {
            if (!scheduled.get() && scheduled.compareAndSet(false, true))
            {
                executor.execute(run);
            }
        }

        private void run()
        {
            // cleared before the attempts: a signal during them schedules one more run, so none is lost
            scheduled.set(false);
            drain();
        }

        /**
         * Runs the operations unless another thread is running them, which then goes round once more: no thread
         * ever waits for a lane (the stack thread, with direct callbacks, must not wait for an application's), and
         * a thread already inside this lane's loop (a direct callback whose call signals its own socket) leaves
         * the next round to that loop instead of running an operation twice.
         */
        private void drain()
        {
            again = true;
            if (lock.isHeldByCurrentThread())
            {
                return;
            }
            // volatile write then lock attempt, volatile read after unlock: a holder that missed the flag leaves the
            // lock free for the next attempt of whoever set it
            while (again && lock.tryLock())
            {
                try
                {
                    again = false;
                    runLocked();
                }
                finally
                {
                    lock.unlock();
                }
            }
        }

        /**
         * Runs the queued operations in order, then the completion-handler one, until one would wait; under
         * {@link #lock}. What a handler leaves (its next read, or a future) is taken in the same loop.
         */
        private void runLocked()
        {
            while (true)
            {
                BooleanSupplier op;
                while ((op = ops.peek()) != null)
                {
                    boolean done;
                    try
                    {
                        done = op.getAsBoolean();
                    }
                    catch (final RuntimeException ex)
                    {
                        done = true; // the operation completes its future exceptionally itself; never retry a throw
                    }
                    if (!done)
                    {
                        return; // FIFO: later operations wait behind the first (a later signal retries)
                    }
                    ops.poll();
                    pending.decrementAndGet();
                }
                final PendingOperation p = slot;
                if (p == null || !p.attempt())
                {
                    return;
                }
                // free before the handler runs: the handler may leave the next one (a read after a read)
                slot = null;
                pending.decrementAndGet();
                try
                {
                    p.deliver();
                }
                catch (final RuntimeException ex)
                {
                    // the handler's own failure: never retried, and it must not stop the lane
                }
            }
        }
    }
}
