package io.tapstack.tcp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A wrap-around byte ring with a limit that may grow: the storage under both {@link SendBuffer} and
 * {@link ReceiveBuffer}. Bytes are addressed by their offset from the head (the oldest byte held); the ring holds
 * {@link #size()} bytes from the head onward, and the {@link #free()} bytes after them, up to the {@link #capacity()
 * limit}, may also be written ({@link #put(int, DirectBuffer, int, int)}) before they are made part of the held bytes
 * ({@link #extend(int)}), which is how a {@link SegmentReassembler} stores out-of-order data.
 *
 * <p>Memory is taken only as it is used: the backing array starts empty and, when a write reaches past it, is
 * replaced by one twice as large (a power of two, at least {@link #MIN_ALLOCATION}, at most the limit) with the
 * contents copied in ring order, so every offset keeps its byte. Growth is rare (a handful of times in a connection's
 * life, each doubling), so a copy then costs less than the indirection of pooled chunks would cost on every segment,
 * and the per-segment paths stay a single array access with no allocation. Each array taken or given back is charged
 * to a {@link TcpMemory} account. {@link #dispose()} gives the array back.
 *
 * <p>It knows nothing of sequence numbers: each buffer maps its own (SND.UNA, RCV.NXT) onto offsets. Misuse by the
 * caller (bytes not held, more than fits) throws {@link IndexOutOfBoundsException}: a bug in the connection, not a
 * bad packet.
 *
 * <p>Owned by the stack thread; not thread-safe.
 */
final class ByteRing
{
    /** Largest capacity: keeps {@code head + offset} below 2^31. */
    static final int MAX_CAPACITY = 1 << 30;
    /** The first array a ring takes: small enough for an idle connection, large enough for a few segments. */
    static final int MIN_ALLOCATION = 4096;

    private static final byte[] NO_BYTES = new byte[0];

    private final UnsafeBuffer ring = new UnsafeBuffer(NO_BYTES);
    /** Re-pointed at a caller's byte array for one call: one copy loop serves arrays and buffers alike. */
    private final UnsafeBuffer arrayView = new UnsafeBuffer(NO_BYTES);
    private final TcpMemory memory;
    private final int minAllocation;
    /** Bytes the ring may hold: the limit that {@link #free()} counts to; only grows. */
    private int limit;
    /** Length of the backing array: in [0, limit]; the ring indexes modulo it. */
    private int length;
    /** Ring index of the byte at offset 0; always in [0, max(length, 1)). */
    private int head;
    /** Bytes held from the head onward; always in [0, limit] and within the backing array. */
    private int size;

    /**
     * A ring whose memory is not charged to any account (tests, fixed buffers).
     *
     * @param capacity bytes the ring holds, in [1, {@link #MAX_CAPACITY}].
     */
    ByteRing(final int capacity)
    {
        this(capacity, TcpMemory.unlimited());
    }

    /**
     * @param capacity bytes the ring holds at first, in [1, {@link #MAX_CAPACITY}]; none is allocated yet.
     * @param memory   the account the backing array is charged to.
     */
    ByteRing(final int capacity, final TcpMemory memory)
    {
        this(capacity, memory, MIN_ALLOCATION);
    }

    /** As {@link #ByteRing(int, TcpMemory)} with the first array's size chosen (tests: growth with tiny arrays). */
    ByteRing(final int capacity, final TcpMemory memory, final int minAllocation)
    {
        checkCapacity(capacity);
        this.limit = capacity;
        this.memory = memory;
        this.minAllocation = Math.max(1, minAllocation);
    }

    private static void checkCapacity(final int capacity)
    {
        if (capacity <= 0 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be in [1, 2^30]: " + capacity);
        }
    }

    /** Bytes the ring may hold (its limit), allocated or not. */
    int capacity()
    {
        return limit;
    }

    /** Bytes of backing array allocated now (and charged to the account). */
    int allocated()
    {
        return length;
    }

    /**
     * Raises the limit to {@code capacity}; a smaller value changes nothing (the limit never shrinks, so space
     * promised to a peer stays). Nothing is allocated until a write needs it.
     */
    void growLimit(final int capacity)
    {
        checkCapacity(capacity);
        if (capacity > limit)
        {
            limit = capacity;
        }
    }

    /** Bytes held from the head onward. */
    int size()
    {
        return size;
    }

    /** Bytes that still fit after the held ones. */
    int free()
    {
        return limit - size;
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
        final int n = Math.min(Math.max(len, 0), limit - size);
        if (n > 0)
        {
            ensureAllocated(size + n);
            final int tail = index(size);
            final int first = Math.min(n, length - tail);
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
        if (offset < 0 || len < 0 || offset > limit - len)
        {
            throw new IndexOutOfBoundsException("[" + offset + ", +" + len + ") outside capacity " + limit);
        }
        if (len == 0)
        {
            return;
        }
        ensureAllocated(offset + len);
        final int start = index(offset);
        final int first = Math.min(len, length - start);
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
        if (n < 0 || n > limit - size)
        {
            throw new IndexOutOfBoundsException("extend " + n + " with free " + free());
        }
        ensureAllocated(size + n); // bytes never put are unspecified, but they must exist
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
        final int first = Math.min(len, length - start);
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

    /** Drops everything and moves the head to the start of the array (which is kept). */
    void clear()
    {
        head = 0;
        size = 0;
    }

    /**
     * Drops everything and gives the backing array back to the account; the limit stays, and a later write
     * allocates again.
     */
    void dispose()
    {
        clear();
        if (length > 0)
        {
            memory.release(length);
            length = 0;
            ring.wrap(NO_BYTES);
        }
    }

    /**
     * Grows the backing array so that offsets {@code [0, needed)} exist: the next power of two (at least twice the
     * array, at least the first allocation), at most the limit. The bytes move in ring order to the start of the
     * new array, so each keeps its offset from the head; the account is charged the difference.
     */
    private void ensureAllocated(final int needed)
    {
        if (needed <= length)
        {
            return;
        }
        final int target = Math.max(minAllocation, Integer.highestOneBit(needed - 1) << 1);
        final int newLength = Math.min(limit, Math.max(target, needed));
        // counted before the allocation: a reader on another thread never sees the new array uncounted
        memory.grow(length, newLength);
        final byte[] grown = new byte[newLength];
        if (length > 0)
        {
            final byte[] old = ring.byteArray();
            System.arraycopy(old, head, grown, 0, length - head);
            System.arraycopy(old, 0, grown, length - head, head);
        }
        ring.wrap(grown);
        length = newLength;
        head = 0;
    }

    private void checkHeld(final int fromOffset, final int len)
    {
        if (fromOffset < 0 || len < 0 || fromOffset > size - len)
        {
            throw new IndexOutOfBoundsException(
                "bytes [" + fromOffset + ", " + fromOffset + "+" + len + ") not held; size " + size);
        }
    }

    /** Ring index of the byte {@code offset} bytes after the head; offset in [0, length]. */
    private int index(final int offset)
    {
        final int i = head + offset;
        return i >= length ? i - length : i;
    }
}
