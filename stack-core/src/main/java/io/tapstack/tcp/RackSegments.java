package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;

/**
 * The sender's per-segment transmission records that RACK reads (RFC 8985 §5.2, §6.1): for each segment sent and not
 * yet cumulatively acknowledged, its sequence range, its most recent transmission time (Segment.xmit_ts) and its
 * state (SACKed, ever retransmitted, deemed lost, a retransmission in flight). Read RFC 8985 §5-6.1 first.
 *
 * <p>Records are kept in sequence order in a ring of primitive arrays: sorted, disjoint, never empty; record 0 is the
 * lowest (it starts at SND.UNA once the cumulative ACK trimmed it). A transmission that starts at or above the top
 * record's end appends; one below it is a retransmission, which splits records at its edges so that exactly the
 * bytes resent take the new time. The ring is bounded: when it is full, new data merges into the top record and a
 * retransmission that cannot split updates the whole record it touches. Either way a record's time is never earlier
 * than the last transmission of any of its bytes and its retransmitted flag is set when any of them was resent:
 * RACK then waits longer, never declares a loss too early. Nothing allocates after construction. Owned by the stack
 * thread; not thread-safe.
 */
final class RackSegments
{
    /** Selectively acknowledged (RFC 2018): delivered, not counted in flight. */
    static final int SACKED = 1;
    /** RFC 8985 §6.1 Segment.retransmitted: sent more than once, so an ACK of it is ambiguous. */
    static final int RETRANSMITTED = 2;
    /** Deemed lost (by RACK, RFC 8985 §6.2 step 5, or the RTO, §6.3); stays set once retransmitted. */
    static final int LOST = 4;
    /** A retransmission in flight (cleared when it too is deemed lost); LOST without it is RFC 8985's Segment.lost. */
    static final int RETRANSMISSION_IN_FLIGHT = 8;

    private final int capacity;
    private final int[] starts;
    private final int[] ends;
    private final long[] xmitTs;
    private final byte[] flags;
    /** Ring slot of record 0. */
    private int head;
    private int count;
    /** Records flagged SACKED. */
    private int sacked;
    /** Records that need a retransmission: LOST, no retransmission in flight, not SACKED. */
    private int awaitingRetransmission;
    /** Records LOST and not SACKED, whether resent or not (Linux's lost_out). */
    private int lostOutstanding;
    private long merges;

    /**
     * @param capacity records held at most, at least 2
     */
    RackSegments(final int capacity)
    {
        if (capacity < 2)
        {
            throw new IllegalArgumentException("capacity must be at least 2: " + capacity);
        }
        this.capacity = capacity;
        this.starts = new int[capacity];
        this.ends = new int[capacity];
        this.xmitTs = new long[capacity];
        this.flags = new byte[capacity];
    }

    /**
     * RFC 8985 §6.1: {@code [seq, end)} was (re)transmitted at {@code nowNs}: a new segment's record is appended; the
     * records of bytes sent before take the new time, the retransmitted flag and a retransmission in flight.
     */
    void onSent(final int seq, final int end, final long nowNs)
    {
        if (!SeqNum.lt(seq, end))
        {
            return;
        }
        final int top = count == 0 ? seq : ends[slot(count - 1)];
        if (count > 0 && SeqNum.lt(seq, top))
        {
            retransmitted(seq, SeqNum.lt(end, top) ? end : top, nowNs);
            if (SeqNum.gt(end, top))
            {
                append(top, end, nowNs);
            }
            return;
        }
        append(seq, end, nowNs);
    }

    private void append(final int start, final int end, final long nowNs)
    {
        if (count == capacity)
        {
            // bounded: the new bytes join the top record, which now looks as recent as they are
            merges++;
            final int top = slot(count - 1);
            ends[top] = end;
            xmitTs[top] = nowNs;
            setFlags(count - 1, flags[top] & (RETRANSMITTED | RETRANSMISSION_IN_FLIGHT));
            return;
        }
        final int s = slot(count);
        starts[s] = start;
        ends[s] = end;
        xmitTs[s] = nowNs;
        flags[s] = 0;
        count++;
    }

    private void retransmitted(final int from, final int to, final long nowNs)
    {
        int i = 0;
        while (i < count && SeqNum.le(ends[slot(i)], from))
        {
            i++;
        }
        if (i < count && SeqNum.lt(starts[slot(i)], from) && split(i, from))
        {
            i++;
        }
        for (; i < count && SeqNum.lt(starts[slot(i)], to); i++)
        {
            if (SeqNum.gt(ends[slot(i)], to))
            {
                split(i, to);
            }
            final int s = slot(i);
            xmitTs[s] = nowNs;
            setFlags(i, flags[s] | RETRANSMITTED | RETRANSMISSION_IN_FLIGHT);
        }
    }

    /** Record {@code i} becomes two at {@code at}, both with its time and state; false when the ring is full. */
    private boolean split(final int i, final int at)
    {
        if (count == capacity)
        {
            merges++;
            return false;
        }
        for (int k = count; k > i + 1; k--)
        {
            final int to = slot(k);
            final int from = slot(k - 1);
            starts[to] = starts[from];
            ends[to] = ends[from];
            xmitTs[to] = xmitTs[from];
            flags[to] = flags[from];
        }
        final int left = slot(i);
        final int right = slot(i + 1);
        starts[right] = at;
        ends[right] = ends[left];
        xmitTs[right] = xmitTs[left];
        flags[right] = flags[left];
        ends[left] = at;
        count++;
        countIn(flags[right]);
        return true;
    }

    /** The cumulative ACK moved to {@code ack}: records below it go, the lowest is trimmed to start at it. */
    void trimBelow(final int ack)
    {
        while (count > 0 && SeqNum.le(ends[head], ack))
        {
            countOut(flags[head]);
            head = head + 1 == capacity ? 0 : head + 1;
            count--;
        }
        if (count > 0 && SeqNum.lt(starts[head], ack))
        {
            starts[head] = ack;
        }
    }

    /** RFC 2018 §8: the scoreboard was forgotten (the receiver may have reneged): nothing is SACKed any more. */
    void clearSacked()
    {
        for (int i = 0; i < count; i++)
        {
            setFlags(i, flags[slot(i)] & ~SACKED);
        }
    }

    void clear()
    {
        count = 0;
        head = 0;
        sacked = 0;
        awaitingRetransmission = 0;
        lostOutstanding = 0;
    }

    /** Sets record {@code i}'s state, keeping the counts of SACKed records and of those awaiting retransmission. */
    void setFlags(final int i, final int newFlags)
    {
        final int s = slot(i);
        countOut(flags[s]);
        flags[s] = (byte)newFlags;
        countIn(newFlags);
    }

    private void countIn(final int f)
    {
        sacked += (f & SACKED) != 0 ? 1 : 0;
        awaitingRetransmission += awaitsRetransmission(f) ? 1 : 0;
        lostOutstanding += (f & (LOST | SACKED)) == LOST ? 1 : 0;
    }

    private void countOut(final int f)
    {
        sacked -= (f & SACKED) != 0 ? 1 : 0;
        awaitingRetransmission -= awaitsRetransmission(f) ? 1 : 0;
        lostOutstanding -= (f & (LOST | SACKED)) == LOST ? 1 : 0;
    }

    /** RFC 8985's Segment.lost: deemed lost, not retransmitted since, not SACKed. */
    static boolean awaitsRetransmission(final int f)
    {
        return (f & (LOST | RETRANSMISSION_IN_FLIGHT | SACKED)) == LOST;
    }

    private int slot(final int i)
    {
        final int s = head + i;
        return s >= capacity ? s - capacity : s;
    }

    int count()
    {
        return count;
    }

    int start(final int i)
    {
        return starts[slot(i)];
    }

    int end(final int i)
    {
        return ends[slot(i)];
    }

    long xmitTs(final int i)
    {
        return xmitTs[slot(i)];
    }

    int flags(final int i)
    {
        return flags[slot(i)];
    }

    /** RFC 8985 RACK.segs_sacked: records SACKed. */
    int sacked()
    {
        return sacked;
    }

    /** Records RACK deemed lost that wait for their retransmission. */
    int awaitingRetransmission()
    {
        return awaitingRetransmission;
    }

    /** Records deemed lost and not SACKed since, resent or not: losses not yet repaired as far as the sender knows. */
    int lostOutstanding()
    {
        return lostOutstanding;
    }

    int capacity()
    {
        return capacity;
    }

    /** Times the bound made a transmission share a record with others (new data merged, a split refused). */
    long merges()
    {
        return merges;
    }
}
