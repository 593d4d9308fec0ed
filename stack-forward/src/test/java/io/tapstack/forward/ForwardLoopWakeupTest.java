package io.tapstack.forward;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.FrameHandler;
import io.tapstack.tap.WaitableFrameDevice;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's thread reads the TAP itself and blocks in its selector; a {@link TapWatcher} wakes it for a frame.
 * A lost wake-up would leave a frame unread until the loop's longest block (here a minute), so every wait below is
 * bounded well under that: a frame is answered promptly or the test fails. No TAP: a device that makes a frame
 * readable at the worst moment, right after the loop's last read before it blocks.
 */
class ForwardLoopWakeupTest
{
    private static final long BOUND_MS = 10_000;

    /** Readable on demand; answers nothing itself: the stack answers the ARP requests it reads. */
    private static final class RacingDevice implements WaitableFrameDevice
    {
        private final UnsafeBuffer frame = new UnsafeBuffer(new byte[60]);
        private final UnsafeBuffer transmit = new UnsafeBuffer(new byte[2048]);
        private final Object lock = new Object();
        /** Frames readable now. */
        private int pending;
        /** Frames still to come, one right after each read that finds none. */
        private int arriveAfterEmptyReads;
        private boolean woken;
        final AtomicInteger transmitted = new AtomicInteger();

        RacingDevice()
        {
            // an ARP request for the gateway (RFC 826), from the guest 10.0.2.15
            final byte[] f = {
                -1, -1, -1, -1, -1, -1, 2, 0, 0, 0, 0, 15, 8, 6,
                0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 15, 10, 0, 2, 15,
                0, 0, 0, 0, 0, 0, 10, 0, 2, 2};
            frame.putBytes(0, f);
        }

        /** {@code n} frames, each arriving just after a read that found none: as the loop decides to block. */
        void arriveAsTheLoopBlocks(final int n)
        {
            synchronized (lock)
            {
                arriveAfterEmptyReads += n;
            }
        }

        /** A frame that arrives now (the loop may be blocked or busy). */
        void arriveNow()
        {
            synchronized (lock)
            {
                pending++;
                lock.notifyAll();
            }
        }

        @Override
        public int receive(final long nowNs, final FrameHandler handler, final int limit)
        {
            int n = 0;
            synchronized (lock)
            {
                if (pending == 0)
                {
                    if (arriveAfterEmptyReads > 0)
                    {
                        arriveAfterEmptyReads--;
                        pending++; // after this read looked: it returns none
                        lock.notifyAll();
                    }
                    return 0;
                }
                n = Math.min(pending, limit);
                pending -= n;
            }
            for (int i = 0; i < n; i++)
            {
                handler.onFrame(frame, 0, frame.capacity(), nowNs);
            }
            return n;
        }

        @Override
        public boolean awaitReadable(final long timeoutNs)
        {
            final long end = System.nanoTime() + timeoutNs;
            synchronized (lock)
            {
                while (pending == 0 && !woken)
                {
                    final long left = end - System.nanoTime();
                    if (left <= 0)
                    {
                        break;
                    }
                    try
                    {
                        TimeUnit.NANOSECONDS.timedWait(lock, left);
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                woken = false;
                return pending > 0;
            }
        }

        @Override
        public void wakeup()
        {
            synchronized (lock)
            {
                woken = true;
                lock.notifyAll();
            }
        }

        @Override
        public int claim(final int length)
        {
            return length <= transmit.capacity() ? 0 : -1;
        }

        @Override
        public MutableDirectBuffer transmitBuffer()
        {
            return transmit;
        }

        @Override
        public void commit(final int offset)
        {
            transmitted.incrementAndGet();
        }

        @Override
        public void abort(final int offset)
        {
        }

        @Override
        public int maxFrameLength()
        {
            return 1514;
        }
    }

    private static boolean waitFor(final BooleanSupplier done)
    {
        final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND_MS);
        while (System.nanoTime() < end)
        {
            if (done.getAsBoolean())
            {
                return true;
            }
            LockSupport.parkNanos(50_000); // a poll of the outcome, not a timing: gentle on two shared cores
        }
        return done.getAsBoolean();
    }

    private static final class Rig implements AutoCloseable
    {
        final RacingDevice device = new RacingDevice();
        final ForwardEngine engine;
        final ForwardLoop loop;

        final String name;

        Rig(final String name)
        {
            this.name = name;
            final NetStack stack = new NetStack(new StackConfig().ipAddress("10.0.2.2/24").gatewayMode(true)
                .seed(1), device);
            // no spin, no yield: an empty cycle goes straight to the block, where a lost wake-up costs a minute
            engine = new ForwardEngine(stack, new ForwardConfig().idleSpins(0).idleYields(0)
                .maxIdleNs(TimeUnit.SECONDS.toNanos(60)));
            loop = new ForwardLoop(stack, engine, device, SystemNanoClock.INSTANCE, name);
        }

        long count(final ForwardCounters.Counter counter)
        {
            return engine.counters().get(counter);
        }

        @Override
        public void close()
        {
            loop.close();
            engine.close();
        }
    }

    @Test
    void aFrameArrivingJustAfterTheLastReadBeforeABlockIsAnsweredPromptly()
    {
        try (Rig rig = new Rig("wakeup-race"))
        {
            rig.loop.start();
            assertTrue(waitFor(() -> rig.count(ForwardCounters.Counter.LOOP_BLOCKS) > 0), "the loop blocks");
            final int sentBefore = rig.device.transmitted.get();
            final int frames = 50;
            rig.device.arriveAsTheLoopBlocks(frames);
            // one cycle to start the chain: its empty read brings the first frame (read by the next cycle, as the
            // task was work); every later frame comes right after the empty read of a cycle that then blocks
            rig.loop.execute(() -> { });
            assertTrue(waitFor(() -> rig.device.transmitted.get() - sentBefore >= frames),
                "every ARP request answered within " + BOUND_MS + " ms (lost wake-up?): "
                    + (rig.device.transmitted.get() - sentBefore));
            assertEquals(frames, rig.device.transmitted.get() - sentBefore);
            assertTrue(rig.count(ForwardCounters.Counter.LOOP_TAP_WAKEUPS) >= frames - 1,
                "each later frame woke the blocked loop through the watcher: "
                    + rig.count(ForwardCounters.Counter.LOOP_TAP_WAKEUPS));
        }
    }

    @Test
    void blockingAndWakingAllocateNothingPerFrame()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (Rig rig = new Rig("wakeup-alloc"))
        {
            rig.loop.start();
            final long loopThread = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(rig.name)).findFirst().orElseThrow().getId();
            final int[] sent = {rig.device.transmitted.get()};
            final int warmUp = 200;
            rig.device.arriveAsTheLoopBlocks(warmUp);
            rig.loop.execute(() -> { });
            assertTrue(waitFor(() -> rig.device.transmitted.get() - sent[0] >= warmUp), "warm-up answered");
            sent[0] = rig.device.transmitted.get();
            final long wakeups = rig.count(ForwardCounters.Counter.LOOP_TAP_WAKEUPS);
            final long before = threads.getThreadAllocatedBytes(loopThread);
            final int frames = 500;
            rig.device.arriveAsTheLoopBlocks(frames);
            rig.loop.execute(() -> { });
            assertTrue(waitFor(() -> rig.device.transmitted.get() - sent[0] >= frames), "answered");
            final long allocated = threads.getThreadAllocatedBytes(loopThread) - before;
            assertTrue(rig.count(ForwardCounters.Counter.LOOP_TAP_WAKEUPS) - wakeups >= frames - 1, "each woke it");
            // one object per block or per frame would be 8 KB or more here
            assertTrue(allocated < 4096, "the loop's thread allocated " + allocated + " bytes for " + frames
                + " blocks and wake-ups");
        }
    }

    @Test
    void aFrameArrivingWhileTheLoopIsBlockedIsAnsweredPromptly()
    {
        try (Rig rig = new Rig("wakeup-blocked"))
        {
            rig.loop.start();
            assertTrue(waitFor(() -> rig.count(ForwardCounters.Counter.LOOP_BLOCKS) > 0), "the loop blocks");
            final int sentBefore = rig.device.transmitted.get();
            for (int i = 1; i <= 20; i++)
            {
                // it blocked once before the first frame and once after answering each: now blocked, or about to
                final int blocks = i;
                assertTrue(waitFor(() -> rig.count(ForwardCounters.Counter.LOOP_BLOCKS) >= blocks),
                    "the loop blocks again");
                rig.device.arriveNow();
                final int answers = i;
                assertTrue(waitFor(() -> rig.device.transmitted.get() - sentBefore >= answers),
                    "ARP request " + i + " answered within " + BOUND_MS + " ms (lost wake-up?)");
            }
            assertTrue(rig.count(ForwardCounters.Counter.LOOP_TAP_WAKEUPS) > 0, "the watcher woke the loop");
        }
    }
}
