package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;

/**
 * The sender's SACK scoreboard (RFC 6675 §3): which ranges above SND.UNA the peer reported holding (RFC 2018 §3).
 * Read RFC 6675 §2-§4 (terms, Update()) and RFC 2018 §8 (reneging) first.
 *
 * <p>A sorted list of disjoint, non-touching intervals {@code [left, right)} of absolute sequence numbers in two
 * preallocated arrays, bounded by {@code maxIntervals}. A SACKed range is only a hint: the data stays in the send
 * buffer until the cumulative ACK covers it (RFC 2018 §8: the receiver may renege), so forgetting a range is always
 * safe; when a new separate range would exceed the bound, the highest range is forgotten (or the new one, when it
 * lies above every range held) and {@link #overflows()} counts it. Nothing allocates after construction. Owned by
 * the stack thread; not thread-safe.
 */
public final class SackScoreboard
{
    private final int maxIntervals;
    /** Interval i is [lefts[i], rights[i]); sorted, disjoint, never touching, never empty. */
    private final int[] lefts;
    private final int[] rights;
    private int count;
    /** Sum of the interval lengths. */
    private int sackedBytes;
    private long overflows;

    public SackScoreboard(final int maxIntervals)
    {
        if (maxIntervals < 1)
        {
            throw new IllegalArgumentException("maxIntervals must be at least 1: " + maxIntervals);
        }
        this.maxIntervals = maxIntervals;
        this.lefts = new int[maxIntervals];
        this.rights = new int[maxIntervals];
    }

    /**
     * RFC 6675 §4 Update(): marks {@code [left, right)} SACKed. The caller has checked the block against SND.UNA and
     * SND.MAX (RFC 6675 §5: blocks outside them are ignored).
     *
     * @return the bytes newly SACKed (0 when all of them were SACKed before, or the range was dropped for the bound)
     */
    public int add(final int left, final int right)
    {
        if (!SeqNum.lt(left, right))
        {
            return 0;
        }
        // first interval that ends at or after left (may touch), last that begins at or before right
        int i = 0;
        while (i < count && SeqNum.lt(rights[i], left))
        {
            i++;
        }
        int j = i - 1;
        while (j + 1 < count && SeqNum.le(lefts[j + 1], right))
        {
            j++;
        }
        if (j < i)
        {
            if (count == maxIntervals)
            {
                overflows++;
                if (i == count)
                {
                    return 0;
                }
                count--;
                sackedBytes -= rights[count] - lefts[count];
            }
            System.arraycopy(lefts, i, lefts, i + 1, count - i);
            System.arraycopy(rights, i, rights, i + 1, count - i);
            count++;
            lefts[i] = left;
            rights[i] = right;
            sackedBytes += right - left;
            return right - left;
        }
        final int newLeft = SeqNum.lt(left, lefts[i]) ? left : lefts[i];
        final int newRight = SeqNum.gt(right, rights[j]) ? right : rights[j];
        int before = 0;
        for (int k = i; k <= j; k++)
        {
            before += rights[k] - lefts[k];
        }
        final int removed = j - i;
        if (removed > 0)
        {
            System.arraycopy(lefts, j + 1, lefts, i + 1, count - j - 1);
            System.arraycopy(rights, j + 1, rights, i + 1, count - j - 1);
            count -= removed;
        }
        lefts[i] = newLeft;
        rights[i] = newRight;
        final int added = (newRight - newLeft) - before;
        sackedBytes += added;
        return added;
    }

    /** The cumulative ACK moved to {@code sndUna}: what lies below it is no longer tracked. */
    public void trimBelow(final int sndUna)
    {
        int drop = 0;
        while (drop < count && SeqNum.le(rights[drop], sndUna))
        {
            sackedBytes -= rights[drop] - lefts[drop];
            drop++;
        }
        if (drop > 0)
        {
            System.arraycopy(lefts, drop, lefts, 0, count - drop);
            System.arraycopy(rights, drop, rights, 0, count - drop);
            count -= drop;
        }
        if (count > 0 && SeqNum.lt(lefts[0], sndUna))
        {
            sackedBytes -= sndUna - lefts[0];
            lefts[0] = sndUna;
        }
    }

    /** RFC 2018 §8: forget every SACKed range (the receiver may have reneged). */
    public void clear()
    {
        count = 0;
        sackedBytes = 0;
    }

    public boolean isSacked(final int seq)
    {
        for (int k = 0; k < count; k++)
        {
            if (SeqNum.le(lefts[k], seq) && SeqNum.lt(seq, rights[k]))
            {
                return true;
            }
        }
        return false;
    }

    /** Bytes SACKed in {@code [from, to)}. */
    public int sackedBetween(final int from, final int to)
    {
        int sum = 0;
        for (int k = 0; k < count; k++)
        {
            final int l = SeqNum.gt(lefts[k], from) ? lefts[k] : from;
            final int r = SeqNum.lt(rights[k], to) ? rights[k] : to;
            if (SeqNum.lt(l, r))
            {
                sum += r - l;
            }
        }
        return sum;
    }

    /** The first sequence number at or after {@code seq} that is not SACKed. */
    public int skipSacked(final int seq)
    {
        for (int k = 0; k < count; k++)
        {
            if (SeqNum.le(lefts[k], seq) && SeqNum.lt(seq, rights[k]))
            {
                return rights[k];
            }
        }
        return seq;
    }

    /** The left edge of the first SACKed range above {@code seq}, or {@code otherwise} when there is none. */
    public int nextSackedAbove(final int seq, final int otherwise)
    {
        for (int k = 0; k < count; k++)
        {
            if (SeqNum.gt(lefts[k], seq))
            {
                return lefts[k];
            }
        }
        return otherwise;
    }

    public int count()
    {
        return count;
    }

    public int left(final int i)
    {
        return lefts[i];
    }

    public int right(final int i)
    {
        return rights[i];
    }

    public int sackedBytes()
    {
        return sackedBytes;
    }

    public int maxIntervals()
    {
        return maxIntervals;
    }

    /** Separate ranges forgotten because the bound was reached. */
    public long overflows()
    {
        return overflows;
    }
}
