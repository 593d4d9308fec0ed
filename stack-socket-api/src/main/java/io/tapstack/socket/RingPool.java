package io.tapstack.socket;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * TCP socket rings given back and kept for the next socket that needs one of the same size, so a new connection
 * takes a given-back ring instead of allocating a direct buffer and zeroing it (which a burst of short connections
 * otherwise pays twice per connection, and the collector again to free it). At most {@code boundBytes} are kept;
 * a ring beyond that goes to the collector as before. When a whole idle period passes without a ring taken from
 * it, the pool empties (the stack's idle sweep calls {@link #shrinkIfUnused()}), so an idle stack keeps none.
 *
 * <p>A ring comes back reset (head and tail at 0, see {@link #reset}), unread records and all, so the next socket
 * finds it as a new one. Rings are taken by writers on any thread (the send ring) and by the stack thread (the
 * receive ring), and given back by the stack thread: the few instructions of each are under the pool's monitor.
 * Applications see its gauges through {@link SocketStack#ringPool()}.
 */
public final class RingPool
{
    private final long boundBytes;
    /** Index: log2 of the ring's capacity; created at the first ring of that size given back. */
    @SuppressWarnings("unchecked")
    private final ArrayDeque<OneToOneRingBuffer>[] bySize = new ArrayDeque[Integer.SIZE];
    private final AtomicLong pooledBytes = new AtomicLong();
    private final AtomicLong reused = new AtomicLong();
    private final AtomicLong allocated = new AtomicLong();
    private boolean takenSinceShrink;

    /** @param boundBytes the most ring bytes (capacity plus trailer) kept here; 0 keeps none */
    RingPool(final long boundBytes)
    {
        this.boundBytes = boundBytes;
    }

    /** An empty ring of {@code capacity} bytes (a power of two): a pooled one if any, else a new one. Any thread. */
    OneToOneRingBuffer take(final int capacity)
    {
        synchronized (this)
        {
            final ArrayDeque<OneToOneRingBuffer> rings = bySize[log2(capacity)];
            final OneToOneRingBuffer ring = rings == null ? null : rings.pollLast();
            if (ring != null)
            {
                takenSinceShrink = true;
                pooledBytes.addAndGet(-bytesOf(capacity));
                reused.incrementAndGet();
                return ring;
            }
        }
        allocated.incrementAndGet();
        // allocateDirect zeroes the buffer: the cost this pool saves
        return new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(bytesOf(capacity))));
    }

    /**
     * Takes {@code ring} back, reset, or leaves it to the collector when the pool is full. The caller
     * owns the ring exclusively (no producer or consumer holds it any more). Stack thread.
     *
     * @return whether the ring was kept
     */
    boolean give(final OneToOneRingBuffer ring)
    {
        final int capacity = ring.capacity();
        final int bytes = bytesOf(capacity);
        if (pooledBytes.get() + bytes > boundBytes)
        {
            return false;
        }
        reset(ring);
        synchronized (this)
        {
            ArrayDeque<OneToOneRingBuffer> rings = bySize[log2(capacity)];
            if (rings == null)
            {
                rings = new ArrayDeque<>();
                bySize[log2(capacity)] = rings;
            }
            rings.addLast(ring);
            pooledBytes.addAndGet(bytes);
        }
        return true;
    }

    /**
     * Called once per idle period: empties the pool when no ring was taken from it since the last call, so the
     * bytes of a past burst do not stay with an idle stack. Stack thread.
     *
     * @return the rings let go
     */
    int shrinkIfUnused()
    {
        synchronized (this)
        {
            if (takenSinceShrink)
            {
                takenSinceShrink = false;
                return 0;
            }
            int dropped = 0;
            for (final ArrayDeque<OneToOneRingBuffer> rings : bySize)
            {
                if (rings != null)
                {
                    dropped += rings.size();
                    rings.clear();
                }
            }
            pooledBytes.set(0);
            return dropped;
        }
    }

    /**
     * Bytes of the rings kept here now: not counted in {@link SocketStack#ringBytesHeld()}, and none once a sweep
     * period passes without a ring taken from the pool. Any thread.
     */
    public long pooledBytes()
    {
        return pooledBytes.get();
    }

    /** Rings handed out from the pool since the stack started. Any thread. */
    public long reused()
    {
        return reused.get();
    }

    /** Rings allocated (and zeroed) because the pool had none of the size. Any thread. */
    public long allocated()
    {
        return allocated.get();
    }

    /** Bytes of a ring of {@code capacity}: the ring and Agrona's trailer (head, tail and their caches). */
    static int bytesOf(final int capacity)
    {
        return capacity + RingBufferDescriptor.TRAILER_LENGTH;
    }

    /**
     * Head and tail back at 0, and the record header there cleared: a reader stops at a header of length 0, and
     * Agrona's writer clears the header after each record it writes (at 0 when it wraps), so what the ring held
     * before (unread records included) is never read as a record; only the header at 0 needs clearing here.
     */
    private static void reset(final OneToOneRingBuffer ring)
    {
        ring.buffer().putLong(0, 0L);
        ring.buffer().setMemory(ring.capacity(), RingBufferDescriptor.TRAILER_LENGTH, (byte)0);
    }

    private static int log2(final int powerOfTwo)
    {
        return Integer.numberOfTrailingZeros(powerOfTwo);
    }
}
