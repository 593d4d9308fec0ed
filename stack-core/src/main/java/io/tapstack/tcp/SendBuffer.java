package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The bytes a connection has taken from the application and not yet seen acknowledged: a byte ring whose first held
 * byte is the one at SND.UNA (RFC 9293 §3.3.1, Figure 3: "old sequence numbers which have been acknowledged" are
 * released, the rest are held until acknowledged).
 *
 * <p>Read RFC 9293 §3.3.1 and §3.8.6 first. The ring holds the unacknowledged bytes (SND.UNA..SND.NXT) followed
 * by the bytes not yet sent (SND.NXT..); the connection keeps SND.UNA and SND.NXT and addresses bytes by their
 * offset from SND.UNA, so this class needs no sequence numbers at all. SYN and FIN occupy sequence space but no
 * byte here: the connection accounts for them.
 *
 * <p>The bytes live in a {@link ByteRing} whose array grows as bytes are written (never per segment once grown),
 * charged to the stack's {@link TcpMemory}. {@link #append(DirectBuffer, int, int)} takes only what fits (credit-based
 * back-pressure: the application may send only {@link #free()} bytes). The limit starts at the initial size and
 * follows the congestion window ({@link #followCongestionWindow}) up to the maximum; under memory pressure it
 * takes no more than its array already holds (and never less than its initial size). Misuse by the caller (copying
 * or releasing bytes not held) throws {@link IndexOutOfBoundsException}: that is a bug in the connection, not a bad
 * packet.
 *
 * <p>Owned by the stack thread; not thread-safe.
 */
public final class SendBuffer
{
    /** Largest capacity: keeps {@code head + offset} below 2^31. */
    public static final int MAX_CAPACITY = ByteRing.MAX_CAPACITY;

    /** Offset 0 is the byte at SND.UNA; the held bytes are the unacknowledged then the unsent ones. */
    private final ByteRing ring;
    private final TcpMemory memory;
    private final StackCounters counters;
    private final int initialCapacity;
    private final int maxCapacity;

    /**
     * A buffer of a fixed capacity, charged to no stack's account.
     *
     * @param capacity bytes the ring holds, in [1, {@link #MAX_CAPACITY}].
     */
    public SendBuffer(final int capacity)
    {
        this(capacity, capacity, TcpMemory.unlimited(), null);
    }

    /**
     * @param initialCapacity the limit at first, in [1, {@link #MAX_CAPACITY}]
     * @param maxCapacity     the limit it may grow to (at least the initial one)
     * @param memory          the account its array is charged to
     * @param counters        where growth is counted; null for nowhere
     */
    SendBuffer(final int initialCapacity, final int maxCapacity, final TcpMemory memory, final StackCounters counters)
    {
        this.ring = new ByteRing(initialCapacity, memory);
        this.memory = memory;
        this.counters = counters;
        this.initialCapacity = initialCapacity;
        this.maxCapacity = Math.max(initialCapacity, maxCapacity);
    }

    /** The limit now: what {@link #free()} counts to when the stack is not under memory pressure. */
    public int capacity()
    {
        return ring.capacity();
    }

    /** Bytes of array allocated now. */
    public int allocated()
    {
        return ring.allocated();
    }

    /** Bytes held from SND.UNA onward: unacknowledged plus not yet sent. */
    public int size()
    {
        return ring.size();
    }

    /**
     * Bytes the application may still append: up to the limit or, under memory pressure, up to what the array
     * holds already (at least the initial size, so a new connection still works).
     */
    public int free()
    {
        if (!memory.underPressure())
        {
            return ring.free();
        }
        return Math.max(0, Math.min(ring.capacity(), Math.max(initialCapacity, ring.allocated())) - ring.size());
    }

    /**
     * The congestion window grew: the limit follows to about twice it (Linux's tcp_sndbuf_expand), in power-of-two
     * steps up to the maximum, so a sender whose window outgrew the initial buffer is not held back by it; not under
     * memory pressure. The limit never shrinks. Allocates nothing (the array grows when bytes are written).
     */
    void followCongestionWindow(final long cwnd, final TcpConnection connection, final long nowNs)
    {
        final int limit = ring.capacity();
        if (limit >= maxCapacity || 2 * cwnd <= limit || memory.underPressure())
        {
            return;
        }
        final long step = Long.highestOneBit(2 * cwnd - 1) << 1;
        ring.growLimit((int)Math.min(maxCapacity, step));
        if (counters != null)
        {
            counters.increment(Counter.TCP_SNDBUF_GROWTHS);
        }
        connection.events().onBufferGrowth(connection, false, ring.capacity(), nowNs);
    }

    public boolean isEmpty()
    {
        return ring.isEmpty();
    }

    /**
     * Appends as much of {@code src[off, off + len)} as fits.
     *
     * @return the bytes taken, in [0, len]; fewer than {@code len} when the ring is full (back-pressure).
     */
    public int append(final DirectBuffer src, final int off, final int len)
    {
        return ring.append(src, off, Math.min(len, free()));
    }

    /** As {@link #append(DirectBuffer, int, int)} from a byte array. */
    public int append(final byte[] src, final int off, final int len)
    {
        return ring.append(src, off, Math.min(len, free()));
    }

    /**
     * Copies held bytes into {@code dst} without releasing them (for a first transmission or a retransmission).
     *
     * @param fromOffset offset from the byte at SND.UNA (for new data: SND.NXT - SND.UNA).
     * @throws IndexOutOfBoundsException if {@code [fromOffset, fromOffset + len)} is not held.
     */
    public void copyOut(final int fromOffset, final MutableDirectBuffer dst, final int dstOff, final int len)
    {
        ring.copyOut(fromOffset, dst, dstOff, len);
    }

    /** As {@link #copyOut(int, MutableDirectBuffer, int, int)} into a byte array. */
    public void copyOut(final int fromOffset, final byte[] dst, final int dstOff, final int len)
    {
        ring.copyOut(fromOffset, dst, dstOff, len);
    }

    /** The byte at {@code offset} from SND.UNA (for tests and tracing). */
    public byte byteAt(final int offset)
    {
        return ring.byteAt(offset);
    }

    /**
     * Drops {@code n} acknowledged bytes from the front: SND.UNA advanced by {@code n} (RFC 9293 §3.10.7.4,
     * "SND.UNA < SEG.ACK =< SND.NXT": the acknowledged bytes are removed from the retransmission queue).
     *
     * @throws IndexOutOfBoundsException if fewer than {@code n} bytes are held.
     */
    public void release(final int n)
    {
        ring.release(n);
        if (ring.isEmpty())
        {
            ring.clear(); // keeps the next writes contiguous; no semantic effect
        }
    }

    /** Drops everything (connection reset or closed). */
    public void clear()
    {
        ring.clear();
    }

    /** Drops everything and gives the array back to the account (the connection will send no more). */
    void dispose()
    {
        ring.dispose();
    }
}
