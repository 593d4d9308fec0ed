package io.tapstack.tcp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The bytes a connection has taken from the application and not yet seen acknowledged: a fixed-capacity byte
 * ring whose first held byte is the one at SND.UNA (RFC 9293 §3.3.1, Figure 3: "old sequence numbers which
 * have been acknowledged" are released, the rest are held until acknowledged).
 *
 * <p>Read RFC 9293 §3.3.1 and §3.8.6 first. The ring holds the unacknowledged bytes (SND.UNA..SND.NXT) followed
 * by the bytes not yet sent (SND.NXT..); the connection keeps SND.UNA and SND.NXT and addresses bytes by their
 * offset from SND.UNA, so this class needs no sequence numbers at all. SYN and FIN occupy sequence space but no
 * byte here: the connection accounts for them.
 *
 * <p>The backing array is allocated once in the constructor; nothing here allocates afterwards.
 * {@link #append(DirectBuffer, int, int)} takes only what fits (credit-based back-pressure: the application may
 * send only {@link #free()} bytes). Misuse by the caller (copying or releasing bytes not held) throws
 * {@link IndexOutOfBoundsException}: that is a bug in the connection, not a bad packet.
 *
 * <p>Owned by the stack thread; not thread-safe.
 */
public final class SendBuffer
{
    /** Largest capacity: keeps {@code head + offset} below 2^31. */
    public static final int MAX_CAPACITY = 1 << 30;

    private final UnsafeBuffer ring;
    private final int capacity;
    /** Ring index of the byte at SND.UNA; always in [0, capacity). */
    private int head;
    /** Bytes held, unacknowledged plus unsent; always in [0, capacity]. */
    private int size;

    /**
     * @param capacity bytes the ring holds, in [1, {@link #MAX_CAPACITY}].
     */
    public SendBuffer(final int capacity)
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

    /** Bytes held from SND.UNA onward: unacknowledged plus not yet sent. */
    public int size()
    {
        return size;
    }

    /** Bytes the application may still append. */
    public int free()
    {
        return capacity - size;
    }

    public boolean isEmpty()
    {
        return size == 0;
    }

    /**
     * Appends as much of {@code src[off, off + len)} as fits.
     *
     * @return the bytes taken, in [0, len]; fewer than {@code len} when the ring is full (back-pressure).
     */
    public int append(final DirectBuffer src, final int off, final int len)
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
    public int append(final byte[] src, final int off, final int len)
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
     * Copies held bytes into {@code dst} without releasing them (for a first transmission or a retransmission).
     *
     * @param fromOffset offset from the byte at SND.UNA (for new data: SND.NXT - SND.UNA).
     * @throws IndexOutOfBoundsException if {@code [fromOffset, fromOffset + len)} is not held.
     */
    public void copyOut(final int fromOffset, final MutableDirectBuffer dst, final int dstOff, final int len)
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
    public void copyOut(final int fromOffset, final byte[] dst, final int dstOff, final int len)
    {
        checkHeld(fromOffset, len);
        if (len == 0)
        {
            return;
        }
        final int start = index(fromOffset);
        final int first = Math.min(len, capacity - start);
        ring.getBytes(start, dst, dstOff, first);
        if (first < len)
        {
            ring.getBytes(0, dst, dstOff + first, len - first);
        }
    }

    /** The byte at {@code offset} from SND.UNA (for tests and tracing). */
    public byte byteAt(final int offset)
    {
        checkHeld(offset, 1);
        return ring.getByte(index(offset));
    }

    /**
     * Drops {@code n} acknowledged bytes from the front: SND.UNA advanced by {@code n} (RFC 9293 §3.10.7.4,
     * "SND.UNA < SEG.ACK =< SND.NXT": the acknowledged bytes are removed from the retransmission queue).
     *
     * @throws IndexOutOfBoundsException if fewer than {@code n} bytes are held.
     */
    public void release(final int n)
    {
        if (n < 0 || n > size)
        {
            throw new IndexOutOfBoundsException("release " + n + " of " + size + " held bytes");
        }
        head = index(n);
        size -= n;
        if (size == 0)
        {
            head = 0; // keeps the next writes contiguous; no semantic effect
        }
    }

    /** Drops everything (connection reset or closed). */
    public void clear()
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
