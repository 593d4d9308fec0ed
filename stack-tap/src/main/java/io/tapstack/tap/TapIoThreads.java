package io.tapstack.tap;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The DEDICATED mode: two threads move frames between a TAP descriptor and the stack through Agrona
 * {@link OneToOneRingBuffer}s, so the stack thread makes no system call per frame.
 * <ul>
 *   <li>reader: poll(2) on the TAP and an eventfd, then read(2) a burst of frames, each into one direct scratch
 *   buffer and from there onto the receive ring (a ring record cannot be shrunk after a claim, so the frame,
 *   whose length is known only after read(2), is copied once: ~1500 bytes, far below the syscall's cost);
 *   when the ring is full it holds the frame and waits for room rather than dropping it;</li>
 *   <li>writer: takes frames off the transmit ring and write(2)s each straight from the ring; parks when the
 *   ring is empty and is unparked by the stack's commit.</li>
 * </ul>
 * The stack uses {@link #device()}. Nothing is allocated per frame. {@link #close()} wakes both threads (the
 * eventfd for the reader, unpark for the writer) and joins them.
 */
public final class TapIoThreads implements AutoCloseable
{
    /** Default capacity of each ring: 4 MiB, about 2,700 full-size frames. */
    public static final int DEFAULT_RING_CAPACITY = 4 * 1024 * 1024;
    /** Frames moved per burst before the thread looks at its stop flag again. */
    public static final int DEFAULT_BURST = 64;

    private static final Logger LOG = LoggerFactory.getLogger(TapIoThreads.class);
    private static final int READER_POLL_TIMEOUT_MS = 100;
    private static final long WRITER_PARK_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long RING_FULL_PARK_NS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final int SPINS_BEFORE_PARK = 200;
    private static final long JOIN_TIMEOUT_MS = 5_000;

    private final TapDevice tap;
    private final boolean closeTap;
    private final int burst;
    private final OneToOneRingBuffer receiveRing;
    private final OneToOneRingBuffer transmitRing;
    private final Doorbell receiveDoorbell = new Doorbell();
    private final Doorbell transmitDoorbell = new Doorbell();
    private final RingFrameDevice device;
    private final Thread reader;
    private final Thread writer;
    private volatile boolean running;
    private volatile Throwable failure;

    // reader thread state
    private final UnsafeBuffer scratch;
    private final long scratchAddress;
    private final int scratchCapacity;

    // writer thread state
    private final MessageHandler writeHandler = this::writeFrame;
    private final long transmitRingAddress;
    private boolean loggedWriteError;

    private final AtomicLong framesRead = new AtomicLong();
    private final AtomicLong framesWritten = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private final AtomicLong receiveRingFullWaits = new AtomicLong();

    /**
     * @param tap          an open TAP or TUN without packet information
     * @param ringCapacity bytes of each ring, a power of two (control trailer added on top)
     * @param burst        frames per burst on each thread
     * @param closeTap     whether {@link #close()} also closes the TAP
     */
    public TapIoThreads(final TapDevice tap, final int ringCapacity, final int burst, final boolean closeTap)
    {
        if (tap.vnetHeader())
        {
            // the rings carry bare frames of at most the MTU; offloads are the SHARED mode's (TapFrameDevice)
            throw new IllegalArgumentException("TapIoThreads needs a TAP opened without offloads "
                + "(TapConfig.offload(false)): " + tap);
        }
        if (tap.packetInformation())
        {
            // frames are what the stack sends and reads: Ethernet (TAP) or bare IPv4 (TUN), never tun_pi-prefixed
            throw new IllegalArgumentException("TapIoThreads needs a TAP or TUN device without packet "
                + "information (IFF_NO_PI): " + tap);
        }
        if (!BitUtil.isPowerOfTwo(ringCapacity))
        {
            throw new IllegalArgumentException("ringCapacity must be a power of two: " + ringCapacity);
        }
        if (burst <= 0)
        {
            throw new IllegalArgumentException("burst must be > 0: " + burst);
        }
        this.tap = tap;
        this.closeTap = closeTap;
        this.burst = burst;
        this.receiveRing = newRing(ringCapacity);
        this.transmitRing = newRing(ringCapacity);
        final int maxFrameLength = tap.maxFrameLength();
        if (maxFrameLength + 4 > receiveRing.maxMsgLength())
        {
            throw new IllegalArgumentException("ringCapacity " + ringCapacity + " is too small for frames of "
                + maxFrameLength + " bytes (largest message is capacity / 8)");
        }
        this.device = new RingFrameDevice(receiveRing, transmitRing, receiveDoorbell, transmitDoorbell,
            maxFrameLength);
        this.scratchCapacity = BitUtil.align(maxFrameLength + 4, 64); // + an 802.1Q tag
        this.scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(scratchCapacity, 64));
        this.scratchAddress = scratch.addressOffset();
        this.transmitRingAddress = transmitRing.buffer().addressOffset();
        this.reader = new Thread(this::runReader, "tap-reader-" + tap.name());
        this.writer = new Thread(this::runWriter, "tap-writer-" + tap.name());
        reader.setDaemon(true);
        writer.setDaemon(true);
    }

    /** Default ring capacity and burst; does not close the TAP. */
    public TapIoThreads(final TapDevice tap)
    {
        this(tap, DEFAULT_RING_CAPACITY, DEFAULT_BURST, false);
    }

    private static OneToOneRingBuffer newRing(final int capacity)
    {
        final int length = capacity + RingBufferDescriptor.TRAILER_LENGTH;
        // direct memory: the writer hands ring addresses to write(2)
        return new OneToOneRingBuffer(new UnsafeBuffer(BufferUtil.allocateDirectAligned(length, 64)));
    }

    /** Starts the reader and writer threads. Returns this. */
    public synchronized TapIoThreads start()
    {
        if (running || reader.isAlive())
        {
            throw new IllegalStateException("already started");
        }
        running = true;
        reader.start();
        writer.start();
        LOG.debug("{}: reader and writer threads started", tap.name());
        return this;
    }

    /** The device the stack uses: owned by the stack thread. */
    public RingFrameDevice device()
    {
        return device;
    }

    public TapDevice tap()
    {
        return tap;
    }

    /** Whether both threads are running (false after close or after one of them failed). */
    public boolean isRunning()
    {
        return running && reader.isAlive() && writer.isAlive();
    }

    /** What stopped a thread unexpectedly (the TAP deleted, say), or null. */
    public Throwable failure()
    {
        return failure;
    }

    public long framesRead()
    {
        return framesRead.get();
    }

    public long framesWritten()
    {
        return framesWritten.get();
    }

    /** The reader thread (for tests and monitoring: allocation, CPU time). */
    Thread readerThread()
    {
        return reader;
    }

    /** The writer thread. */
    Thread writerThread()
    {
        return writer;
    }

    /** Frames write(2) refused (EIO while the link is down, say): dropped. */
    public long writeErrors()
    {
        return writeErrors.get();
    }

    /** Times the reader held a frame because the stack had not drained the receive ring. */
    public long receiveRingFullWaits()
    {
        return receiveRingFullWaits.get();
    }

    private void runReader()
    {
        try
        {
            while (running)
            {
                if (!tap.poll(READER_POLL_TIMEOUT_MS))
                {
                    continue;
                }
                int count = 0;
                while (count < burst && running)
                {
                    final int length = tap.read(scratchAddress, scratchCapacity);
                    if (length <= 0)
                    {
                        break; // nothing more queued: poll said readable, so -1 is EAGAIN
                    }
                    if (!offer(length))
                    {
                        break; // stopping
                    }
                    count++;
                }
                if (count > 0)
                {
                    framesRead.lazySet(framesRead.get() + count);
                    receiveDoorbell.ring();
                }
            }
        }
        catch (final Throwable ex)
        {
            fail("reader", ex);
        }
    }

    /** Puts the scratch frame on the receive ring, waiting for room; false when stopped first. */
    private boolean offer(final int length)
    {
        if (receiveRing.write(RingFrameDevice.FRAME_MSG_TYPE, scratch, 0, length))
        {
            return true;
        }
        receiveRingFullWaits.lazySet(receiveRingFullWaits.get() + 1);
        receiveDoorbell.ring();
        while (running)
        {
            LockSupport.parkNanos(RING_FULL_PARK_NS);
            if (receiveRing.write(RingFrameDevice.FRAME_MSG_TYPE, scratch, 0, length))
            {
                return true;
            }
        }
        return false;
    }

    private void runWriter()
    {
        try
        {
            int idle = 0;
            while (running)
            {
                final int count = transmitRing.read(writeHandler, burst);
                if (count > 0)
                {
                    idle = 0;
                    framesWritten.lazySet(framesWritten.get() + count);
                    continue;
                }
                if (++idle < SPINS_BEFORE_PARK)
                {
                    Thread.onSpinWait();
                    continue;
                }
                transmitDoorbell.arm();
                try
                {
                    if (running && transmitRing.size() == 0)
                    {
                        LockSupport.parkNanos(WRITER_PARK_NS);
                    }
                }
                finally
                {
                    transmitDoorbell.disarm();
                }
                idle = 0;
            }
        }
        catch (final Throwable ex)
        {
            fail("writer", ex);
        }
    }

    private void writeFrame(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (tap.write(transmitRingAddress + index, length) != length)
        {
            writeErrors.lazySet(writeErrors.get() + 1);
            if (!loggedWriteError)
            {
                loggedWriteError = true;
                LOG.warn("{}: the kernel refused a {}-byte frame: {} (dropped; counted, logged once)", tap.name(),
                    length, TapDevice.describeErrno(TapDevice.lastErrno()));
            }
        }
    }

    private void fail(final String which, final Throwable ex)
    {
        if (running)
        {
            failure = ex;
            LOG.error("{}: {} thread stopped: {}", tap.name(), which, ex.toString(), ex);
            running = false;
            tap.wakeup();
            LockSupport.unpark(reader);
            LockSupport.unpark(writer);
            device.wakeup();
        }
    }

    /** Stops and joins both threads, then closes the TAP if this owns it. Frames still on the rings are lost. */
    @Override
    public void close()
    {
        running = false;
        tap.wakeup();
        LockSupport.unpark(writer);
        LockSupport.unpark(reader);
        join(reader);
        join(writer);
        if (closeTap)
        {
            tap.close();
        }
        LOG.debug("{}: reader and writer threads stopped", tap.name());
    }

    private static void join(final Thread thread)
    {
        if (thread.getState() == Thread.State.NEW)
        {
            return;
        }
        try
        {
            thread.join(JOIN_TIMEOUT_MS);
            if (thread.isAlive())
            {
                LOG.warn("{} did not stop within {} ms", thread.getName(), JOIN_TIMEOUT_MS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
