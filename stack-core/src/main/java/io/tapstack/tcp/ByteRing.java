package io.tapstack.tcp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A fixed-capacity wrap-around byte ring: the storage under both {@link SendBuffer} and {@link ReceiveBuffer}.
 * Bytes are addressed by their offset from the head (the oldest byte held); the ring holds {@link #size()}
 * bytes from the head onward, and the {@link #free()} bytes after them may also be written
 * ({@link #put(int, DirectBuffer, int, int)}) before they are made part of the held bytes
 * ({@link #extend(int)}), which is how a {@link SegmentReassembler} stores out-of-order data.
 *
 * <p>It knows nothing of sequence numbers: each buffer maps its own (SND.UNA, RCV.NXT) onto offsets. The backing
 * array is allocated once in the constructor; nothing here allocates afterwards (exception messages aside).
 * Misuse by the caller (bytes not held, more than fits) throws {@link IndexOutOfBoundsException}: a bug in the
 * connection, not a bad packet.
 *
 * <p>Owned by the stack thread; not thread-safe.
 */
final class ByteRing
{
    /** Largest capacity: keeps {@code head + offset} below 2^31. */
    static final int MAX_CAPACITY = 1 << 30;

    private static final byte[] NO_BYTES = new byte[0];

    private final UnsafeBuffer ring;
    /** Re-pointed at a caller's byte array for one call: one copy loop serves arrays and buffers alike. */
    private final UnsafeBuffer arrayView = new UnsafeBuffer(NO_BYTES);
    private final int capacity;
    /** Ring index of the byte at offset 0; always in [0, capacity). */
    private int head;
    /** Bytes held from the head onward; always in [0, capacity]. */
    private int size;

    /**
     * @param capacity bytes the ring holds, in [1, {@link #MAX_CAPACITY}].
     */
    ByteRing(final int capacity)
    {
        if (capacity <= 0 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be in [1, 2^30]: " + capacity);
        }
        this.capacity = capacity;
        this.ring = new UnsafeBuffer(new byte[capacity]);
    }

    int capacity()
    {
        return capacity;
    }

    /** Bytes held from the head onward. */
    int size()
    {
        return size;
    }

    /** Bytes that still fit after the held ones. */
    int free()
    {
        return capacity - size;
    }

    boolean isEmpty()
    {
        return size == 0;
    }

    /**
     * Appends as much of {@code src[off, off + len)} as fits after the held bytes.
     *
     * @return the bytes taken, in [0, max(len, 0)].
     */
    int append(final DirectBuffer src, final int off, final int len)
    {
        final int n = Math.min(Math.max(len, 0), capacity - size);
        if (n > 0)
        {
            final int tail = index(size);
            final int first = Math.min(n, capacity - tail);
            ring.putBytes(tail, src, off, first);
            if (first < n)
            {
                ring.putBytes(0, src, off + first, n - first);
            }
            size += n;
        }
        return n;
    }

    /** As {@link #append(DirectBuffer, int, int)} from a byte array. */
    int append(final byte[] src, final int off, final int len)
    {
        arrayView.wrap(src);
        try
        {
            return append(arrayView, off, len);
        }
        finally
        {
            arrayView.wrap(NO_BYTES); // do not keep the caller's array alive
        }
    }

    /**
     * Writes {@code src[off, off + len)} at {@code offset} from the head without changing what is held: past the
     * held bytes, the bytes stay invisible until {@link #extend(int)} covers them.
     *
     * @throws IndexOutOfBoundsException unless {@code [offset, offset + len)} lies inside the capacity.
     */
    void put(final int offset, final DirectBuffer src, final int off, final int len)
    {
        if (offset < 0 || len < 0 || offset > capacity - len)
        {
            throw new IndexOutOfBoundsException("[" + offset + ", +" + len + ") outside capacity " + capacity);
        }
        if (len == 0)
        {
            return;
        }
        final int start = index(offset);
        final int first = Math.min(len, capacity - start);
        ring.putBytes(start, src, off, first);
        if (first < len)
        {
            ring.putBytes(0, src, off + first, len - first);
        }
    }

    /**
     * Makes the {@code n} bytes after the held ones held too (written there before by
     * {@link #put(int, DirectBuffer, int, int)}).
     *
     * @throws IndexOutOfBoundsException if {@code n} exceeds {@link #free()}.
     */
    void extend(final int n)
    {
        if (n < 0 || n > capacity - size)
        {
            throw new IndexOutOfBoundsException("extend " + n + " with free " + free());
        }
        size += n;
    }

    /**
     * Copies held bytes {@code [fromOffset, fromOffset + len)} into {@code dst} without releasing them.
     *
     * @throws IndexOutOfBoundsException if those bytes are not held.
     */
    void copyOut(final int fromOffset, final MutableDirectBuffer dst, final int dstOff, final int len)
    {
        checkHeld(fromOffset, len);
        if (len == 0)
        {
            return;
        }
        final int start = index(fromOffset);
        final int first = Math.min(len, capacity - start);
        dst.putBytes(dstOff, ring, start, first);
        if (first < len)
        {
            dst.putBytes(dstOff + first, ring, 0, len - first);
        }
    }

    /** As {@link #copyOut(int, MutableDirectBuffer, int, int)} into a byte array. */
    void copyOut(final int fromOffset, final byte[] dst, final int dstOff, final int len)
    {
        arrayView.wrap(dst);
        try
        {
            copyOut(fromOffset, arrayView, dstOff, len);
        }
        finally
        {
            arrayView.wrap(NO_BYTES);
        }
    }

    /** The held byte at {@code offset} from the head. */
    byte byteAt(final int offset)
    {
        checkHeld(offset, 1);
        return ring.getByte(index(offset));
    }

    /**
     * Drops {@code n} bytes from the front: the head moves on by {@code n}. Bytes written past the held ones keep
     * their ring positions, so their offsets shrink by {@code n}.
     *
     * @throws IndexOutOfBoundsException if fewer than {@code n} bytes are held.
     */
    void release(final int n)
    {
        if (n < 0 || n > size)
        {
            throw new IndexOutOfBoundsException("release " + n + " of " + size + " held bytes");
        }
        head = index(n);
        size -= n;
    }

    /** Drops everything and moves the head to the start of the array. */
    void clear()
    {
        head = 0;
        size = 0;
    }

    private void checkHeld(final int fromOffset, final int len)
    {
        if (fromOffset < 0 || len < 0 || fromOffset > size - len)
        {
            throw new IndexOutOfBoundsException(
                "bytes [" + fromOffset + ", " + fromOffset + "+" + len + ") not held; size " + size);
        }
    }

    /** Ring index of the byte {@code offset} bytes after the head; offset in [0, capacity]. */
    private int index(final int offset)
    {
        final int i = head + offset;
        return i >= capacity ? i - capacity : i;
    }
}
