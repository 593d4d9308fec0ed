package io.tapstack.socket;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One of a TCP socket's two rings, taken only when bytes need it and given back when the connection has gone
 * idle with the ring empty, as Linux holds socket memory only while data waits: an idle connection holds no ring.
 * Who takes and who gives back is fixed per ring: the receive ring is both taken and given back by the stack
 * thread (its producer; a reader looking at a ring given back finds it empty, as it was); the send ring is taken
 * by the writer (its producer) and given back by the stack thread, the two excluded by {@link #tryLock()}: the
 * stack thread never waits for it, and a writer waits only the few instructions of a give-back.
 *
 * <p>Every ring's bytes are counted in one stack-wide total ({@link SocketStack#ringBytesHeld()}).
 */
final class LazyRing
{
    private final int capacity;
    private final AtomicLong held;
    private final AtomicBoolean locked = new AtomicBoolean();
    /** Null while released. */
    private volatile OneToOneRingBuffer ring;

    /**
     * @param capacity bytes of the ring when taken (a power of two)
     * @param held     the stack-wide count of ring bytes held
     */
    LazyRing(final int capacity, final AtomicLong held)
    {
        this.capacity = capacity;
        this.held = held;
    }

    /** The ring, or null while none is held. Any thread. */
    OneToOneRingBuffer current()
    {
        return ring;
    }

    /** The ring, taken now if none is held. Its producer only (under {@link #lock()} for the send ring). */
    OneToOneRingBuffer take()
    {
        OneToOneRingBuffer r = ring;
        if (r == null)
        {
            r = new OneToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH)));
            held.addAndGet(capacity + RingBufferDescriptor.TRAILER_LENGTH);
            ring = r;
        }
        return r;
    }

    /** Gives the ring back if it is empty; true when none is held now. Stack thread (for the send ring: locked). */
    boolean releaseIfEmpty()
    {
        final OneToOneRingBuffer r = ring;
        if (r == null)
        {
            return true;
        }
        if (r.size() != 0)
        {
            return false;
        }
        ring = null;
        held.addAndGet(-(capacity + RingBufferDescriptor.TRAILER_LENGTH));
        return true;
    }

    /** Bytes waiting in the ring (0 when none is held). Any thread. */
    int size()
    {
        final OneToOneRingBuffer r = ring;
        return r == null ? 0 : r.size();
    }

    /** The ring's capacity, held or not. */
    int capacity()
    {
        return capacity;
    }

    /** The largest record: an eighth of the ring (Agrona's limit). */
    int maxMsgLength()
    {
        return capacity >> 3;
    }

    /** For the stack thread: never waits. */
    boolean tryLock()
    {
        return !locked.get() && locked.compareAndSet(false, true);
    }

    /** For the writer: waits out a give-back in progress (a few instructions). */
    void lock()
    {
        while (!tryLock())
        {
            Thread.onSpinWait();
        }
    }

    void unlock()
    {
        locked.set(false);
    }
}
