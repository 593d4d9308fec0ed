package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.time.DeadlineQueue;
import org.agrona.collections.IntArrayList;

import java.util.Arrays;

/**
 * The TIME-WAIT records of a {@link TcpLayer} (RFC 9293 §3.6.1, §3.10.7.4): what a connection in TIME-WAIT still
 * needs once its buffers and its connection slot are freed, in primitive columns indexed by a small slot number
 * (Linux's inet_timewait_sock, column-wise): the 4-tuple, SND.NXT, RCV.NXT, the window last announced, the largest
 * window the peer offered (RFC 5961 §5.2), the timestamp clock and TS.Recent when timestamps are on (RFC 7323 §5.3),
 * when the last out-of-window ACK went (RFC 5961 §7), and the 2·MSL deadline in a {@link DeadlineQueue}. An
 * open-addressing index maps the 4-tuple's {@code long} key to the slot.
 *
 * <p>Bounded by {@link TcpConfig#maxTimeWait()}: when it is full, the record closest to its end is dropped to make
 * room (counted in {@link Counter#TCP_TIME_WAIT_OVERFLOWS}); with a bound of 0 no record is kept at all. The columns
 * grow by doubling up to the bound, never per segment; {@link #bytesPerRecord()} is what one record costs.
 *
 * <p>When an event listener follows the connections ({@link #keepHandles}), the table also keeps each record's
 * connection handle, so that the listener hears TIME-WAIT → CLOSED when the record ends; otherwise it keeps no
 * reference to the connection, and the handle asks {@link #holds} to know its state. Owned by the stack thread.
 */
final class TimeWaitTable
{
    private static final int NO_SLOT = -1;
    private static final byte TIMESTAMPS = 1;

    private final TcpConfig config;
    private final StackCounters counters;
    private final DeadlineQueue deadlines = new DeadlineQueue(16);
    private final IntArrayList freeSlots = new IntArrayList();
    private int slotHighWater;
    private int size;
    private boolean keepHandles;

    // the columns, by slot
    private long[] key = new long[0];
    /** The low 32 bits of the connection's {@link TcpConnection#sequence}: tells incarnations of a 4-tuple apart. */
    private int[] incarnation = new int[0];
    private int[] sndNxt = new int[0];
    private int[] rcvNxt = new int[0];
    /** RCV.WND as last announced, in bytes (§3.10.7.4 first: acceptability). */
    private int[] rcvWnd = new int[0];
    /** The window field our ACKs carry (already shifted by Rcv.Wind.Shift). */
    private char[] windowField = new char[0];
    /** MAX.SND.WND (RFC 5961 §5.2: acceptable ACKs lie within it below SND.UNA). */
    private int[] maxSndWnd = new int[0];
    private byte[] flags = new byte[0];
    private int[] tsOffset = new int[0];
    private int[] tsRecent = new int[0];
    private long[] tsRecentNs = new long[0];
    /** When the last out-of-window ACK went (RFC 5961 §7), or {@link TcpConnection#NONE}. */
    private long[] lastOutOfWindowAckNs = new long[0];
    /** Only while {@link #keepHandles}: the connection each record came from. */
    private TcpConnection[] handles;

    /** Open addressing by the 4-tuple's key, linear probing: slot + 1, 0 for an empty entry; at most half full. */
    private int[] index = new int[16];

    TimeWaitTable(final TcpConfig config, final StackCounters counters)
    {
        this.config = config;
        this.counters = counters;
    }

    /** Keep each record's connection handle (while an event listener follows the connections), or not. */
    void keepHandles(final boolean keep)
    {
        this.keepHandles = keep;
    }

    int size()
    {
        return size;
    }

    /** What one record costs in the columns, the index (at its worst, half full) and the deadline queue. */
    static int bytesPerRecord()
    {
        final int columns = 8 + 4 + 4 + 4 + 4 + 2 + 4 + 1 + 4 + 4 + 8 + 8;
        final int index = 2 * 4;
        final int deadlineQueue = 4 + 4 + 8;
        final int freeSlot = 4;
        return columns + index + deadlineQueue + freeSlot;
    }

    // ------------------------------------------------------------------------------------------------ records

    /**
     * A record for {@code connection}, which enters TIME-WAIT with its 2·MSL ending at {@code deadlineNs}; when the
     * table is full, the record closest to its end goes first (its handle, if kept, is told at {@code nowNs}).
     *
     * @return the record's slot, to fill with {@link #sequenceSpace} and {@link #timestamps}; -1 when the bound is 0
     */
    int add(final TcpConnection connection, final long deadlineNs, final long nowNs)
    {
        if (connection.foreign)
        {
            // gateway mode: records are keyed by our address's 4-tuples and answer from it; a connection of a foreign
            // local address closes without one (counted), as when the bound is 0
            counters.increment(Counter.TCP_GATEWAY_NO_TIME_WAIT);
            return NO_SLOT;
        }
        return add(connection.key, (int)connection.sequence, connection, deadlineNs, nowNs);
    }

    /** A record for the 4-tuple {@code key}'s incarnation {@code incarnation}, {@code handle} its connection. */
    int add(final long key, final int incarnation, final TcpConnection handle, final long deadlineNs, final long nowNs)
    {
        final int max = config.maxTimeWait();
        if (max == 0)
        {
            counters.increment(Counter.TCP_TIME_WAIT_OVERFLOWS);
            return NO_SLOT;
        }
        while (size >= max)
        {
            counters.increment(Counter.TCP_TIME_WAIT_OVERFLOWS);
            end(deadlines.peekId(), nowNs);
        }
        final int slot = freeSlots.isEmpty() ? slotHighWater++ : freeSlots.popInt();
        ensureCapacity(slot + 1);
        this.key[slot] = key;
        this.incarnation[slot] = incarnation;
        flags[slot] = 0;
        lastOutOfWindowAckNs[slot] = TcpConnection.NONE;
        if (keepHandles)
        {
            if (handles == null || handles.length < this.key.length)
            {
                final int capacity = this.key.length;
                handles = handles == null ? new TcpConnection[capacity] : Arrays.copyOf(handles, capacity);
            }
            handles[slot] = handle;
        }
        insertIntoIndex(slot);
        deadlines.schedule(slot, deadlineNs);
        size++;
        counters.increment(Counter.TCP_TIME_WAIT_ENTERED);
        return slot;
    }

    /** The sequence space the record answers with. */
    void sequenceSpace(final int slot, final int sndNxt, final int rcvNxt, final int rcvWnd, final int windowField,
        final int maxSndWnd)
    {
        this.sndNxt[slot] = sndNxt;
        this.rcvNxt[slot] = rcvNxt;
        this.rcvWnd[slot] = rcvWnd;
        this.windowField[slot] = (char)windowField;
        this.maxSndWnd[slot] = maxSndWnd;
    }

    /** Timestamps are on (RFC 7323 §3.2): the connection's clock offset and TS.Recent with when it was set. */
    void timestamps(final int slot, final int tsOffset, final int tsRecent, final long tsRecentNs)
    {
        flags[slot] |= TIMESTAMPS;
        this.tsOffset[slot] = tsOffset;
        this.tsRecent[slot] = tsRecent;
        this.tsRecentNs[slot] = tsRecentNs;
    }

    /** The slot of the record for this 4-tuple key, or -1. */
    int find(final long key)
    {
        final int mask = index.length - 1;
        for (int i = spread(key) & mask; ; i = (i + 1) & mask)
        {
            final int entry = index[i];
            if (entry == 0)
            {
                return NO_SLOT;
            }
            if (this.key[entry - 1] == key)
            {
                return entry - 1;
            }
        }
    }

    /** Whether the record {@code connection} left when it entered TIME-WAIT is still here. */
    boolean holds(final TcpConnection connection)
    {
        final int slot = find(connection.key);
        return slot != NO_SLOT && incarnation[slot] == (int)connection.sequence;
    }

    /** The record {@code connection} left, if still here, ends now without telling the connection (it asked). */
    void removeRecordOf(final TcpConnection connection)
    {
        if (holds(connection))
        {
            remove(find(connection.key));
        }
    }

    /** The record ends (2·MSL passed, a RST, a new SYN, or room needed): forgotten; a kept handle is told. */
    void end(final int slot, final long nowNs)
    {
        final TcpConnection handle = remove(slot);
        if (handle != null)
        {
            handle.terminate(TcpState.CLOSED, nowNs);
        }
    }

    /** Ends the records whose 2·MSL has passed; returns how many. */
    int expire(final long nowNs)
    {
        int ended = 0;
        while (!deadlines.isEmpty() && deadlines.nextDeadlineNs() <= nowNs)
        {
            end(deadlines.peekId(), nowNs);
            ended++;
        }
        return ended;
    }

    long nextDeadlineNs()
    {
        return deadlines.nextDeadlineNs();
    }

    /** RFC 9293 §3.10.7.4 eighth: a FIN in TIME-WAIT restarts the 2·MSL wait. */
    void restart(final int slot, final long deadlineNs)
    {
        deadlines.schedule(slot, deadlineNs);
    }

    private TcpConnection remove(final int slot)
    {
        removeFromIndex(slot);
        deadlines.cancel(slot);
        freeSlots.pushInt(slot);
        size--;
        TcpConnection handle = null;
        if (handles != null)
        {
            handle = handles[slot];
            handles[slot] = null;
        }
        return handle;
    }

    // ------------------------------------------------------------------------------------------------ columns

    long key(final int slot)
    {
        return key[slot];
    }

    int localPort(final int slot)
    {
        return (int)(key[slot] >>> 48);
    }

    int remotePort(final int slot)
    {
        return (int)(key[slot] >>> 32) & 0xFFFF;
    }

    int remoteAddress(final int slot)
    {
        return (int)key[slot];
    }

    int sndNxt(final int slot)
    {
        return sndNxt[slot];
    }

    int rcvNxt(final int slot)
    {
        return rcvNxt[slot];
    }

    int rcvWnd(final int slot)
    {
        return rcvWnd[slot];
    }

    int windowField(final int slot)
    {
        return windowField[slot];
    }

    int maxSndWnd(final int slot)
    {
        return maxSndWnd[slot];
    }

    boolean timestamps(final int slot)
    {
        return (flags[slot] & TIMESTAMPS) != 0;
    }

    int tsOffset(final int slot)
    {
        return tsOffset[slot];
    }

    int tsRecent(final int slot)
    {
        return tsRecent[slot];
    }

    long tsRecentNs(final int slot)
    {
        return tsRecentNs[slot];
    }

    void tsRecent(final int slot, final int tsVal, final long nowNs)
    {
        tsRecent[slot] = tsVal;
        tsRecentNs[slot] = nowNs;
    }

    long lastOutOfWindowAckNs(final int slot)
    {
        return lastOutOfWindowAckNs[slot];
    }

    void lastOutOfWindowAckNs(final int slot, final long nowNs)
    {
        lastOutOfWindowAckNs[slot] = nowNs;
    }

    // ------------------------------------------------------------------------------------------------ storage

    private void ensureCapacity(final int slots)
    {
        if (slots <= key.length)
        {
            return;
        }
        final int capacity = Math.max(16, Math.max(slots, Math.min(2 * key.length, config.maxTimeWait())));
        key = Arrays.copyOf(key, capacity);
        incarnation = Arrays.copyOf(incarnation, capacity);
        sndNxt = Arrays.copyOf(sndNxt, capacity);
        rcvNxt = Arrays.copyOf(rcvNxt, capacity);
        rcvWnd = Arrays.copyOf(rcvWnd, capacity);
        windowField = Arrays.copyOf(windowField, capacity);
        maxSndWnd = Arrays.copyOf(maxSndWnd, capacity);
        flags = Arrays.copyOf(flags, capacity);
        tsOffset = Arrays.copyOf(tsOffset, capacity);
        tsRecent = Arrays.copyOf(tsRecent, capacity);
        tsRecentNs = Arrays.copyOf(tsRecentNs, capacity);
        lastOutOfWindowAckNs = Arrays.copyOf(lastOutOfWindowAckNs, capacity);
        if (handles != null)
        {
            handles = Arrays.copyOf(handles, capacity);
        }
    }

    private static int spread(final long key)
    {
        final long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int)(h ^ (h >>> 32));
    }

    private void insertIntoIndex(final int slot)
    {
        if (2 * (size + 1) > index.length)
        {
            final int[] old = index;
            index = new int[2 * old.length];
            for (final int entry : old)
            {
                if (entry != 0)
                {
                    place(entry - 1);
                }
            }
        }
        place(slot);
    }

    private void place(final int slot)
    {
        final int mask = index.length - 1;
        int i = spread(key[slot]) & mask;
        while (index[i] != 0)
        {
            i = (i + 1) & mask;
        }
        index[i] = slot + 1;
    }

    /** Linear probing's deletion: later entries of the run move back so that no search stops early. */
    private void removeFromIndex(final int slot)
    {
        final int mask = index.length - 1;
        int i = spread(key[slot]) & mask;
        while (index[i] != slot + 1)
        {
            i = (i + 1) & mask;
        }
        index[i] = 0;
        for (int j = (i + 1) & mask; index[j] != 0; j = (j + 1) & mask)
        {
            final int entry = index[j];
            final int home = spread(key[entry - 1]) & mask;
            // the entry may fill the hole at i if its home is not in (i, j] (cyclically)
            if (((j - home) & mask) >= ((j - i) & mask))
            {
                index[i] = entry;
                index[j] = 0;
                i = j;
            }
        }
    }
}
