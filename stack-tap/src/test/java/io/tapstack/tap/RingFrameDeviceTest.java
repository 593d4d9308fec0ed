package io.tapstack.tap;

import io.tapstack.dev.FrameHandler;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stack's side of the DEDICATED mode over plain rings: no TAP, no root. */
class RingFrameDeviceTest
{
    private static final int MAX_FRAME = 1514;

    private final OneToOneRingBuffer rx = ring(64 * 1024);
    private final OneToOneRingBuffer tx = ring(64 * 1024);
    private final Doorbell rxBell = new Doorbell();
    private final Doorbell txBell = new Doorbell();
    private final RingFrameDevice device = new RingFrameDevice(rx, tx, rxBell, txBell, MAX_FRAME);

    private static OneToOneRingBuffer ring(final int capacity)
    {
        return new OneToOneRingBuffer(new UnsafeBuffer(
            BufferUtil.allocateDirectAligned(capacity + RingBufferDescriptor.TRAILER_LENGTH, 64)));
    }

    private static final class Counting implements FrameHandler
    {
        int frames;
        long bytes;
        int lastFirstByte;
        long lastNow;

        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
        {
            frames++;
            bytes += length;
            lastFirstByte = buffer.getByte(offset) & 0xFF;
            lastNow = nowNs;
        }
    }

    @Test
    void deliversReceivedFramesInOrderUpToTheLimit()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[100]);
        for (int i = 0; i < 5; i++)
        {
            frame.putByte(0, (byte)i);
            assertTrue(rx.write(RingFrameDevice.FRAME_MSG_TYPE, frame, 0, 60 + i));
        }
        final Counting handler = new Counting();
        assertEquals(3, device.receive(42, handler, 3));
        assertEquals(3, handler.frames);
        assertEquals(2, handler.lastFirstByte);
        assertEquals(42, handler.lastNow);
        assertEquals(2, device.receive(43, handler, 64));
        assertEquals(60 + 61 + 62 + 63 + 64, handler.bytes);
        assertEquals(0, device.receive(44, handler, 64));
    }

    @Test
    void oneClaimAtATimeAndCommitPublishesTheFrame()
    {
        final int offset = device.claim(60);
        assertTrue(offset >= 0);
        assertEquals(-1, device.claim(60), "second claim before commit");
        device.transmitBuffer().putByte(offset, (byte)0x7E);
        device.commit(offset);
        final int[] seen = new int[2];
        assertEquals(1, tx.read((type, buffer, index, length) ->
        {
            seen[0] = buffer.getByte(index);
            seen[1] = length;
        }));
        assertEquals(0x7E, seen[0]);
        assertEquals(60, seen[1]);
    }

    @Test
    void abortGivesTheSlotBackUnsent()
    {
        final int offset = device.claim(100);
        device.abort(offset);
        assertEquals(0, tx.read((type, buffer, index, length) -> { }));
        assertTrue(device.claim(100) >= 0);
    }

    @Test
    void refusesFramesLargerThanTheMtuAndClaimsOnAFullRing()
    {
        assertEquals(-1, device.claim(MAX_FRAME + 1));
        int committed = 0;
        while (true)
        {
            final int offset = device.claim(MAX_FRAME);
            if (offset < 0)
            {
                break;
            }
            device.commit(offset);
            committed++;
        }
        assertTrue(committed > 30 && committed < 64, "frames in a 64 KiB ring: " + committed);
    }

    @Test
    void awaitReadableTimesOutWhenNothingArrives()
    {
        // parkNanos may return early (spuriously): only the result and an upper bound are certain
        final long start = System.nanoTime();
        assertFalse(device.awaitReadable(TimeUnit.MILLISECONDS.toNanos(20)));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
        assertFalse(device.awaitReadable(0));
    }

    @Test
    void producerDoorbellWakesAParkedStackThread() throws Exception
    {
        final CountDownLatch parked = new CountDownLatch(1);
        final boolean[] result = new boolean[1];
        final long[] waitedNs = new long[1];
        final Thread stack = new Thread(() ->
        {
            parked.countDown();
            final long start = System.nanoTime();
            result[0] = device.awaitReadable(TimeUnit.SECONDS.toNanos(10));
            waitedNs[0] = System.nanoTime() - start;
        });
        stack.start();
        assertTrue(parked.await(5, TimeUnit.SECONDS));
        Thread.sleep(50);
        assertTrue(rx.write(RingFrameDevice.FRAME_MSG_TYPE, new UnsafeBuffer(new byte[60]), 0, 60));
        rxBell.ring();
        stack.join(5_000);
        assertFalse(stack.isAlive());
        assertTrue(result[0]);
        assertTrue(waitedNs[0] < TimeUnit.SECONDS.toNanos(5), "woken by the doorbell, not the timeout");
    }

    @Test
    void wakeupReturnsAParkedStackThreadWithoutAFrame() throws Exception
    {
        final long[] waitedNs = new long[1];
        final Thread stack = new Thread(() ->
        {
            final long start = System.nanoTime();
            device.awaitReadable(TimeUnit.SECONDS.toNanos(10));
            waitedNs[0] = System.nanoTime() - start;
        });
        stack.start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (stack.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline)
        {
            Thread.sleep(1);
        }
        device.wakeup();
        stack.join(5_000);
        assertFalse(stack.isAlive());
        assertTrue(waitedNs[0] < TimeUnit.SECONDS.toNanos(5), "waited " + waitedNs[0] + " ns");
    }

    @Test
    void receiveAndTransmitAllocateNothingPerFrame()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final UnsafeBuffer frame = new UnsafeBuffer(BufferUtil.allocateDirectAligned(2048, 64));
        final Counting handler = new Counting();
        final org.agrona.concurrent.MessageHandler drain = (type, buffer, index, length) -> { };
        final Runnable round = () ->
        {
            for (int i = 0; i < 10_000; i++)
            {
                rx.write(RingFrameDevice.FRAME_MSG_TYPE, frame, 0, 1514);
                device.receive(i, handler, 64);
                final int offset = device.claim(1514);
                device.transmitBuffer().putLong(offset, i);
                device.commit(offset);
                tx.read(drain, 64);
            }
        };
        round.run(); // warm up
        final long tid = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(tid);
        round.run();
        final long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 10k frames");
        assertEquals(20_000, handler.frames);
    }
}
