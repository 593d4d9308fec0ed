package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;
import org.agrona.DirectBuffer;

/**
 * Out-of-order TCP data held until the hole before it is filled (RFC 9293 §3.10.7.4 "segment text": segments
 * beyond RCV.NXT inside the window are held for later processing; RFC 1122 §4.2.2.20 (g) recommends keeping
 * them; RFC 2018 §4 for the SACK blocks reported from them).
 *
 * <p>Read RFC 9293 §3.10.7.4, RFC 2018 §3-4 and RFC 9293 §3.8.6 first.
 *
 * <h2>Design: one ring shared with the {@link ReceiveBuffer}</h2>
 * The bytes are not held here: they are written straight into the bound {@link ReceiveBuffer}'s ring past its
 * in-order tail, at {@code tail + (seq - RCV.NXT)} (see that class). This class keeps only which ranges are
 * present: a sorted list of disjoint, non-touching intervals {@code [left, right)} of absolute sequence numbers
 * in two preallocated {@code int} arrays, bounded by {@code maxIntervals}. Consequences:
 * <ul>
 *   <li>Out-of-order and in-order data share one budget, the receive buffer's capacity, and the window offered
 *   ({@link ReceiveBuffer#free()}) is exactly the space the out-of-order bytes can occupy, so storing anything
 *   the peer may legally send never fails for lack of bytes, and anything outside
 *   {@code [RCV.NXT, RCV.NXT + free)} is trimmed off (RFC 9293 §3.10.7.4: trim to the window).</li>
 *   <li>Draining is free: bytes that become in order are already in place, {@link #drain} only moves the
 *   buffer's tail ({@link ReceiveBuffer#commit}); there is one copy from the frame to the socket buffer.</li>
 *   <li>Overlapping arrivals overwrite held bytes of the same sequence numbers (the last copy wins).</li>
 *   <li>The in-order case needs no special path: insert a segment at RCV.NXT and drain. A caller may still
 *   {@link ReceiveBuffer#write write} in-order bytes directly when {@link #intervalCount()} is 0.</li>
 * </ul>
 * RCV.NXT stays with the connection and is passed in on every call: the caller adds the result of
 * {@link #drain} (and of any direct {@link ReceiveBuffer#write}) to RCV.NXT before the next call. Intervals
 * that fall below the RCV.NXT passed in are trimmed lazily.
 *
 * <p>Interval bound: when a new, separate interval would exceed {@code maxIntervals}, the ranges nearest to
 * RCV.NXT are kept, as they are the ones that let data flow: if the new segment lies beyond every held
 * interval it is dropped ({@link #droppedSegments()}); otherwise the furthest interval is forgotten
 * ({@link #evictedIntervals()}; reneging on a SACKed range is allowed by RFC 2018 §8, the peer retransmits
 * it). A segment at RCV.NXT is therefore never refused for this reason.
 *
 * <p>Nothing here allocates after construction. Owned by the stack thread; not thread-safe.
 */
public final class SegmentReassembler
{
    /** Default bound on held intervals (holes + 1), as the issue suggests; Linux's out-of-order queue is similar. */
    public static final int DEFAULT_MAX_INTERVALS = 64;

    private final ReceiveBuffer buffer;
    private final int maxIntervals;
    /** Interval i is [lefts[i], rights[i]) in sequence space; sorted, disjoint, never touching, never empty. */
    private final int[] lefts;
    private final int[] rights;
    /** Insert number that last grew interval i: larger is more recent (for the SACK block order). */
    private final long[] stamps;
    private int count;
    /** Sum of interval lengths; never more than the bound buffer's free space. */
    private int heldBytes;
    private long nextStamp;
    private long droppedSegments;
    private long evictedIntervals;

    public SegmentReassembler(final ReceiveBuffer buffer)
    {
        this(buffer, DEFAULT_MAX_INTERVALS);
    }

    /**
     * @param buffer       the receive buffer whose free space holds the out-of-order bytes.
     * @param maxIntervals bound on separate held ranges, at least 1.
     */
    public SegmentReassembler(final ReceiveBuffer buffer, final int maxIntervals)
    {
        if (maxIntervals < 1)
        {
            throw new IllegalArgumentException("maxIntervals must be at least 1: " + maxIntervals);
        }
        this.buffer = buffer;
        this.maxIntervals = maxIntervals;
        this.lefts = new int[maxIntervals];
        this.rights = new int[maxIntervals];
        this.stamps = new long[maxIntervals];
    }

    public ReceiveBuffer buffer()
    {
        return buffer;
    }

    public int maxIntervals()
    {
        return maxIntervals;
    }

    /**
     * Stores the part of a segment's text that lies inside the receive window {@code [rcvNxt, rcvNxt + free)}.
     *
     * @param seq    SEG.SEQ of the first byte of text (after the SYN, if the segment carries one).
     * @param rcvNxt RCV.NXT now.
     * @return the bytes newly held (not held before); 0 for a duplicate, a segment outside the window, or a
     * segment dropped because of the interval bound.
     */
    public int insert(final int seq, final int rcvNxt, final DirectBuffer src, final int off, final int len)
    {
        trimBelow(rcvNxt);
        if (len <= 0)
        {
            return 0;
        }
        final int window = buffer.free();
        int start = SeqNum.diff(seq, rcvNxt);
        int skip = 0;
        if (start < 0)
        {
            // RFC 9293 §3.10.7.4: text before RCV.NXT is a duplicate; keep only what is new
            final long behind = -(long)start;
            if (behind >= len)
            {
                return 0;
            }
            skip = (int)behind;
            start = 0;
        }
        if (start >= window)
        {
            return 0; // RFC 9293 §3.10.7.4: nothing inside the window
        }
        final int length = Math.min(len - skip, window - start); // RFC 9293 §3.10.7.4: trim to the right edge
        final int end = start + length;

        // first interval that ends at or after start (may touch), last that begins at or before end
        int i = 0;
        while (i < count && SeqNum.diff(rights[i], rcvNxt) < start)
        {
            i++;
        }
        int j = i - 1;
        while (j + 1 < count && SeqNum.diff(lefts[j + 1], rcvNxt) <= end)
        {
            j++;
        }

        int newBytes = length;
        if (j < i)
        {
            if (count == maxIntervals)
            {
                if (i == count)
                {
                    droppedSegments++;
                    return 0;
                }
                evictLast();
            }
            System.arraycopy(lefts, i, lefts, i + 1, count - i);
            System.arraycopy(rights, i, rights, i + 1, count - i);
            System.arraycopy(stamps, i, stamps, i + 1, count - i);
            count++;
            lefts[i] = rcvNxt + start;
            rights[i] = rcvNxt + end;
        }
        else
        {
            for (int k = i; k <= j; k++)
            {
                final int overlap = Math.min(end, SeqNum.diff(rights[k], rcvNxt))
                    - Math.max(start, SeqNum.diff(lefts[k], rcvNxt));
                if (overlap > 0)
                {
                    newBytes -= overlap;
                }
            }
            final int left = Math.min(start, SeqNum.diff(lefts[i], rcvNxt));
            final int right = Math.max(end, SeqNum.diff(rights[j], rcvNxt));
            final int removed = j - i;
            if (removed > 0)
            {
                System.arraycopy(lefts, j + 1, lefts, i + 1, count - j - 1);
                System.arraycopy(rights, j + 1, rights, i + 1, count - j - 1);
                System.arraycopy(stamps, j + 1, stamps, i + 1, count - j - 1);
                count -= removed;
            }
            lefts[i] = rcvNxt + left;
            rights[i] = rcvNxt + right;
        }
        stamps[i] = ++nextStamp;
        buffer.putAhead(start, src, off + skip, length);
        heldBytes += newBytes;
        return newBytes;
    }

    /** Contiguous bytes held starting at {@code rcvNxt}: what {@link #drain} would make readable. */
    public int deliverable(final int rcvNxt)
    {
        trimBelow(rcvNxt);
        return count > 0 && lefts[0] == rcvNxt ? SeqNum.diff(rights[0], rcvNxt) : 0;
    }

    /**
     * Makes up to {@code maxBytes} contiguous bytes from {@code rcvNxt} readable in the bound buffer (no copy:
     * they are in place). The caller advances RCV.NXT by the result (RFC 9293 §3.10.7.4: RCV.NXT is advanced
     * over the data accepted, including queued segments that are now in order).
     */
    public int drain(final int rcvNxt, final int maxBytes)
    {
        final int n = Math.min(deliverable(rcvNxt), Math.max(maxBytes, 0));
        if (n > 0)
        {
            buffer.commit(n);
            heldBytes -= n;
            lefts[0] += n;
            if (lefts[0] == rights[0])
            {
                removeAt(0);
            }
        }
        return n;
    }

    /** As {@link #drain(int, int)} with no limit. */
    public int drain(final int rcvNxt)
    {
        return drain(rcvNxt, Integer.MAX_VALUE);
    }

    /** Bytes held out of order (including any at RCV.NXT not yet drained). */
    public int heldBytes()
    {
        return heldBytes;
    }

    /** Separate ranges held; each gap before one is a hole. */
    public int intervalCount()
    {
        return count;
    }

    /** Left edge (first sequence number) of the i-th held range in sequence order. */
    public int intervalLeft(final int i)
    {
        return lefts[i];
    }

    /** Right edge (one past the last sequence number) of the i-th held range in sequence order. */
    public int intervalRight(final int i)
    {
        return rights[i];
    }

    /**
     * Writes SACK blocks for the held ranges, the most recently grown first (RFC 2018 §4: the first block
     * reports the most recently received segment, the rest are the most recent others).
     *
     * @return the blocks written, at most {@code max} and at most the arrays' lengths.
     */
    public int sackBlocks(final int rcvNxt, final int[] blockLefts, final int[] blockRights, final int max)
    {
        if (count == 0)
        {
            return 0; // nothing out of order, the common case on every ACK: no trimming, no blocks
        }
        trimBelow(rcvNxt);
        final int limit = Math.min(Math.min(max, count), Math.min(blockLefts.length, blockRights.length));
        long below = Long.MAX_VALUE;
        int n = 0;
        while (n < limit)
        {
            int best = -1;
            for (int k = 0; k < count; k++)
            {
                if (stamps[k] < below && (best < 0 || stamps[k] > stamps[best]))
                {
                    best = k;
                }
            }
            blockLefts[n] = lefts[best];
            blockRights[n] = rights[best];
            below = stamps[best];
            n++;
        }
        return n;
    }

    /** Whether one held range covers all of {@code [left, right)} (a duplicate of out-of-order data). */
    public boolean covers(final int left, final int right)
    {
        for (int k = 0; k < count; k++)
        {
            if (SeqNum.le(lefts[k], left) && SeqNum.le(right, rights[k]))
            {
                return true;
            }
        }
        return false;
    }

    /** Segments refused because the interval bound was reached. */
    public long droppedSegments()
    {
        return droppedSegments;
    }

    /** Held ranges forgotten to make room for a range nearer RCV.NXT. */
    public long evictedIntervals()
    {
        return evictedIntervals;
    }

    /** Forgets everything held (reset, close); clear the bound buffer as well if it is discarded. */
    public void clear()
    {
        count = 0;
        heldBytes = 0;
    }

    /** Drops ranges (or their parts) that RCV.NXT has passed, e.g. after a direct in-order write. */
    private void trimBelow(final int rcvNxt)
    {
        if (count == 0)
        {
            return;
        }
        while (count > 0 && SeqNum.le(rights[0], rcvNxt))
        {
            heldBytes -= rights[0] - lefts[0];
            removeAt(0);
        }
        if (count > 0 && SeqNum.lt(lefts[0], rcvNxt))
        {
            heldBytes -= rcvNxt - lefts[0];
            lefts[0] = rcvNxt;
        }
    }

    private void evictLast()
    {
        count--;
        heldBytes -= rights[count] - lefts[count];
        evictedIntervals++;
    }

    private void removeAt(final int i)
    {
        System.arraycopy(lefts, i + 1, lefts, i, count - i - 1);
        System.arraycopy(rights, i + 1, rights, i, count - i - 1);
        System.arraycopy(stamps, i + 1, stamps, i, count - i - 1);
        count--;
    }
}
