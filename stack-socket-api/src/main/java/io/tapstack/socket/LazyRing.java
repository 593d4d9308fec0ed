package io.tapstack.socket;

import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One of a TCP socket's two rings, taken only when bytes need it and given back when the connection has gone
 * idle with the ring empty, as Linux holds socket memory only while data waits: an idle connection holds no ring.
 * Who takes and who gives back is fixed per ring: the receive ring is both taken and given back by the stack
 * thread (its producer); the send ring is taken by the writer (its producer) and given back by the stack thread.
 * A ring given back goes to the stack's {@link RingPool} and may serve another socket next, so whoever holds the
 * ring's other end holds {@link #lock()} while it uses it (the writer while it writes, the reader while it reads)
 * and the stack thread gives back only under {@link #tryLock()}: it never waits, and the other thread waits only
 * the few instructions of a give-back, after which it finds no ring.
 *
 * <p>Every ring's bytes are counted in one stack-wide total ({@link SocketStack#ringBytesHeld()}).
 */
final class LazyRing
{
    private final int capacity;
    private final AtomicLong held;
    private final RingPool pool;
    private final AtomicBoolean locked = new AtomicBoolean();
    /** Null while released. */
    private volatile OneToOneRingBuffer ring;

    /**
     * @param capacity bytes of the ring when taken (a power of two)
     * @param held     the stack-wide count of ring bytes held
     * @param pool     where rings are taken from and given back to
     */
    LazyRing(final int capacity, final AtomicLong held, final RingPool pool)
    {
        this.capacity = capacity;
        this.held = held;
        this.pool = pool;
    }

    /**
     * The ring, or null while none is held. Any thread; but a thread other than the stack thread that reads or writes
     * records through it holds {@link #lock()} meanwhile: once given back the ring may belong to another socket.
     */
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
            r = pool.take(capacity);
            held.addAndGet(RingPool.bytesOf(capacity));
            ring = r;
        }
        return r;
    }

    /** Gives the ring back if it is empty; true when none is held now. Stack thread, under {@link #tryLock()}. */
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
        release(r);
        return true;
    }

    /**
     * Gives the ring back whatever it holds (the pool resets it): for a socket the application has closed and the
     * stack has forgotten, whose bytes no one will read. Stack thread, under {@link #tryLock()}.
     */
    void releaseDiscarding()
    {
        final OneToOneRingBuffer r = ring;
        if (r != null)
        {
            release(r);
        }
    }

    private void release(final OneToOneRingBuffer r)
    {
        ring = null;
        held.addAndGet(-RingPool.bytesOf(capacity));
        pool.give(r);
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

    /** For the writer and the reader: waits out a give-back in progress (a few instructions). */
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
