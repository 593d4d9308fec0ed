package io.tapstack.tcp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * In-order bytes received and not yet read by the application: a byte ring (RFC 9293 §3.3.1, Figure 5, and §3.8.6:
 * the receive window is the free space here).
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
 * <p>The capacity (the limit of the free space) starts at the initial size and only grows ({@link #growTo(int)}, by
 * receive-buffer autotuning, {@link ReceiveBufferTuner}): a right edge once offered always fits. The bytes live in a
 * {@link ByteRing} whose array grows as bytes arrive (rarely, by doubling; never per segment once grown), charged to
 * the stack's {@link TcpMemory}. Owned by the stack thread; not thread-safe.
 */
public final class ReceiveBuffer
{
    /** Largest capacity: keeps ring index arithmetic below 2^31. */
    public static final int MAX_CAPACITY = ByteRing.MAX_CAPACITY;

    /**
     * Offset 0 is the next byte the application reads; the held bytes are the in-order ones, and the free space
     * after them holds the reassembler's out-of-order bytes. The head is never reset while bytes may wait there.
     */
    private final ByteRing ring;
    private final TcpMemory memory;
    private final int maxCapacity;
    /** The connection is gone: the array goes back to the account once the application has read what is left. */
    private boolean disposeWhenEmpty;

    /**
     * A buffer of a fixed capacity, charged to no stack's account.
     *
     * @param capacity bytes the ring holds, in [1, {@link #MAX_CAPACITY}]; also the largest receive window.
     */
    public ReceiveBuffer(final int capacity)
    {
        this(capacity, capacity, TcpMemory.unlimited());
    }

    /**
     * @param initialCapacity the capacity at first, in [1, {@link #MAX_CAPACITY}]
     * @param maxCapacity     the capacity autotuning may grow it to (at least the initial one)
     * @param memory          the account its array is charged to
     */
    ReceiveBuffer(final int initialCapacity, final int maxCapacity, final TcpMemory memory)
    {
        this.ring = new ByteRing(initialCapacity, memory);
        this.memory = memory;
        this.maxCapacity = Math.max(initialCapacity, maxCapacity);
    }

    /** The limit of the free space now: the largest receive window this buffer can offer. */
    public int capacity()
    {
        return ring.capacity();
    }

    /** The capacity autotuning may grow this buffer to. */
    public int maxCapacity()
    {
        return maxCapacity;
    }

    /** Bytes of array allocated now. */
    public int allocated()
    {
        return ring.allocated();
    }

    /**
     * Raises the capacity toward {@code bytes}, at most {@link #maxCapacity()}, unless the stack is under memory
     * pressure; never lowers it (a window offered is never taken back, RFC 9293 §3.8.6.2.1).
     *
     * @return whether the capacity grew
     */
    boolean growTo(final int bytes)
    {
        final int target = Math.min(bytes, maxCapacity);
        if (target <= ring.capacity() || memory.underPressure())
        {
            return false;
        }
        ring.growLimit(target);
        return true;
    }

    /** In-order bytes ready for the application. */
    public int size()
    {
        return ring.size();
    }

    /** Space after the in-order tail: the receive window to offer (RFC 9293 §3.8.6). */
    public int free()
    {
        return ring.free();
    }

    public boolean isEmpty()
    {
        return ring.isEmpty();
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
        return ring.append(src, off, len);
    }

    /** As {@link #write(DirectBuffer, int, int)} from a byte array. */
    public int write(final byte[] src, final int off, final int len)
    {
        return ring.append(src, off, len);
    }

    /**
     * Moves up to {@code len} in-order bytes to {@code dst} and frees their space.
     *
     * @return bytes read, in [0, len].
     */
    public int read(final MutableDirectBuffer dst, final int off, final int len)
    {
        return consume(peek(dst, off, len));
    }

    /** As {@link #read(MutableDirectBuffer, int, int)} into a byte array. */
    public int read(final byte[] dst, final int off, final int len)
    {
        return consume(peek(dst, off, len));
    }

    /** Copies up to {@code len} in-order bytes to {@code dst} without consuming them. */
    public int peek(final MutableDirectBuffer dst, final int off, final int len)
    {
        final int n = Math.min(Math.max(len, 0), ring.size());
        ring.copyOut(0, dst, off, n);
        return n;
    }

    /** As {@link #peek(MutableDirectBuffer, int, int)} into a byte array. */
    public int peek(final byte[] dst, final int off, final int len)
    {
        final int n = Math.min(Math.max(len, 0), ring.size());
        ring.copyOut(0, dst, off, n);
        return n;
    }

    /** Consumes up to {@code n} in-order bytes without copying them; returns the bytes consumed. */
    public int skip(final int n)
    {
        return consume(Math.min(Math.max(n, 0), ring.size()));
    }

    private int consume(final int n)
    {
        ring.release(n);
        if (disposeWhenEmpty && ring.isEmpty())
        {
            ring.dispose();
        }
        return n;
    }

    /** Drops everything held (reset, close); a bound reassembler must be cleared too. */
    public void clear()
    {
        ring.clear();
    }

    /**
     * The connection will receive nothing more: the array goes back to the account now if nothing is left to read,
     * else once the application has read it all.
     */
    void disposeWhenEmpty()
    {
        disposeWhenEmpty = true;
        if (ring.isEmpty())
        {
            ring.dispose();
        }
    }

    /** Gives the array back now; only when empty, with no out-of-order bytes past the tail (they would be lost). */
    void disposeNow()
    {
        ring.dispose();
    }

    /**
     * Writes bytes {@code ahead} bytes past the in-order tail without making them readable (out-of-order
     * data: {@code ahead = seq - RCV.NXT}). For {@link SegmentReassembler}.
     *
     * @throws IndexOutOfBoundsException unless {@code [ahead, ahead + len)} lies inside {@link #free()}.
     */
    void putAhead(final int ahead, final DirectBuffer src, final int off, final int len)
    {
        if (ahead < 0 || len < 0 || ahead > ring.free() - len)
        {
            throw new IndexOutOfBoundsException("[" + ahead + ", +" + len + ") outside free " + free());
        }
        ring.put(ring.size() + ahead, src, off, len);
    }

    /** Makes {@code n} bytes already written past the tail readable (they became in order). */
    void commit(final int n)
    {
        ring.extend(n);
    }
}
