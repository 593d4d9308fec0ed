package io.tapstack.tcp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * In-order bytes received and not yet read by the application: a fixed-capacity byte ring (RFC 9293 §3.3.1,
 * Figure 5, and §3.8.6: the receive window is the free space here).
 *
 * <p>Read RFC 9293 §3.8.6 and RFC 1122 §4.2.2.16 first. The space past the in-order tail is not idle: a
 * {@link SegmentReassembler} bound to this buffer stores out-of-order bytes there, at the ring position
 * {@code tail + (seq - RCV.NXT)}. That position is stable: an in-order write advances both the tail and
 * RCV.NXT by the same amount, and a read moves only the head. The receive window offered to the peer is
 * {@link #free()}, so its right edge RCV.NXT + free() never moves left (reads only widen it, in-order
 * arrivals move RCV.NXT and shrink free by the same amount): anything the peer may legally send fits in the
 * ring without a second buffer. Out-of-order bytes become readable only when the reassembler
 * {@link #commit(int) commits} them.
 *
 * <p>The backing array is allocated once; nothing here allocates afterwards. Owned by the stack thread;
 * not thread-safe.
 */
public final class ReceiveBuffer
{
    /** Largest capacity: keeps ring index arithmetic below 2^31. */
    public static final int MAX_CAPACITY = 1 << 30;

    private final UnsafeBuffer ring;
    private final int capacity;
    /** Ring index of the next byte the application reads; always in [0, capacity). */
    private int head;
    /** In-order bytes held, ready to read; always in [0, capacity]. */
    private int size;

    /**
     * @param capacity bytes the ring holds, in [1, {@link #MAX_CAPACITY}]; also the largest receive window.
     */
    public ReceiveBuffer(final int capacity)
    {
        if (capacity <= 0 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be in [1, 2^30]: " + capacity);
        }
        this.capacity = capacity;
        this.ring = new UnsafeBuffer(new byte[capacity]);
    }

    public int capacity()
    {
        return capacity;
    }

    /** In-order bytes ready for the application. */
    public int size()
    {
        return size;
    }

    /** Space after the in-order tail: the receive window to offer (RFC 9293 §3.8.6). */
    public int free()
    {
        return capacity - size;
    }

    public boolean isEmpty()
    {
        return size == 0;
    }

    /**
     * Appends in-order bytes (the segment at RCV.NXT); the caller advances RCV.NXT by the result.
     * Overwrites any out-of-order bytes a reassembler holds in the same positions: they are the same
     * sequence numbers, and the reassembler trims its intervals when next called with the new RCV.NXT.
     *
     * @return bytes taken, in [0, len]; fewer when the buffer is full.
     */
    public int write(final DirectBuffer src, final int off, final int len)
    {
        final int n = Math.min(Math.max(len, 0), capacity - size);
        putAhead(0, src, off, n);
        size += n;
        return n;
    }

    /** As {@link #write(DirectBuffer, int, int)} from a byte array. */
    public int write(final byte[] src, final int off, final int len)
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

    /**
     * Moves up to {@code len} in-order bytes to {@code dst} and frees their space.
     *
     * @return bytes read, in [0, len].
     */
    public int read(final MutableDirectBuffer dst, final int off, final int len)
    {
        final int n = peek(dst, off, len);
        skip(n);
        return n;
    }

    /** As {@link #read(MutableDirectBuffer, int, int)} into a byte array. */
    public int read(final byte[] dst, final int off, final int len)
    {
        final int n = peek(dst, off, len);
        skip(n);
        return n;
    }

    /** Copies up to {@code len} in-order bytes to {@code dst} without consuming them. */
    public int peek(final MutableDirectBuffer dst, final int off, final int len)
    {
        final int n = Math.min(Math.max(len, 0), size);
        if (n > 0)
        {
            final int first = Math.min(n, capacity - head);
            dst.putBytes(off, ring, head, first);
            if (first < n)
            {
                dst.putBytes(off + first, ring, 0, n - first);
            }
        }
        return n;
    }

    /** As {@link #peek(MutableDirectBuffer, int, int)} into a byte array. */
    public int peek(final byte[] dst, final int off, final int len)
    {
        final int n = Math.min(Math.max(len, 0), size);
        if (n > 0)
        {
            final int first = Math.min(n, capacity - head);
            ring.getBytes(head, dst, off, first);
            if (first < n)
            {
                ring.getBytes(0, dst, off + first, n - first);
            }
        }
        return n;
    }

    /** Consumes up to {@code n} in-order bytes without copying them; returns the bytes consumed. */
    public int skip(final int n)
    {
        final int k = Math.min(Math.max(n, 0), size);
        head = index(k);
        size -= k;
        return k;
    }

    /** Drops everything held (reset, close); a bound reassembler must be cleared too. */
    public void clear()
    {
        head = 0;
        size = 0;
    }

    /**
     * Writes bytes {@code ahead} bytes past the in-order tail without making them readable (out-of-order
     * data: {@code ahead = seq - RCV.NXT}). For {@link SegmentReassembler}.
     *
     * @throws IndexOutOfBoundsException unless {@code [ahead, ahead + len)} lies inside {@link #free()}.
     */
    void putAhead(final int ahead, final DirectBuffer src, final int off, final int len)
    {
        if (ahead < 0 || len < 0 || ahead > capacity - size - len)
        {
            throw new IndexOutOfBoundsException("[" + ahead + ", +" + len + ") outside free " + free());
        }
        if (len == 0)
        {
            return;
        }
        final int start = index(size + ahead);
        final int first = Math.min(len, capacity - start);
        ring.putBytes(start, src, off, first);
        if (first < len)
        {
            ring.putBytes(0, src, off + first, len - first);
        }
    }

    /** Makes {@code n} bytes already written past the tail readable (they became in order). */
    void commit(final int n)
    {
        if (n < 0 || n > capacity - size)
        {
            throw new IndexOutOfBoundsException("commit " + n + " with free " + free());
        }
        size += n;
    }

    /** Ring index {@code offset} bytes after the head; offset in [0, 2 * capacity). */
    private int index(final int offset)
    {
        int i = head + offset;
        if (i >= capacity)
        {
            i -= capacity;
            if (i >= capacity)
            {
                i -= capacity;
            }
        }
        return i;
    }
}
