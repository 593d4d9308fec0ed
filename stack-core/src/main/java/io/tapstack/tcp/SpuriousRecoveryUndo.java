package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpOptions;

/**
 * Finds loss episodes (a fast recovery, or a series of retransmission timeouts) whose every retransmission was
 * unnecessary, and has the congestion control give back the window it cut for them
 * ({@link CongestionControl#undoReduction}: RFC 4015 §2's response; RFC 9438 §4.9 for CUBIC). Read RFC 3708 §3,
 * RFC 2883 §4 and RFC 3522 §2 first.
 *
 * <p>Evidence, per retransmitted byte: a D-SACK for it (RFC 3708 §3: the receiver got it twice, so the original was
 * not lost), or, with timestamps, the ACK that first covers a retransmission sent from SND.UNA echoing a TSval older
 * than that retransmission's (RFC 3522 §2, Eifel: the ACK was for the original). An echo not older says the
 * retransmission was needed, and the episode is kept. RFC 3522 times the first retransmission only; its argument
 * holds for every one sent from SND.UNA, which arrives at the receiver's left edge unless the original got there
 * first (RFC 7323 §4.3 then echoes its TSval), so a NewReno recovery's partial-ACK retransmissions are judged the same
 * way. A SACK recovery's retransmissions of holes above SND.UNA are not (a hole filled in the middle leaves the echo
 * alone) and need their D-SACK. When every retransmitted byte has such evidence and the recovery is over, the
 * reduction is undone, once. The retransmitted ranges are held in a small fixed array
 * (contiguous resends merge, as go-back-N's do); an episode with more separate ranges than it holds is not undone.
 * Evidence counts within an RTO of the episode's last retransmission: a duplicate the network itself made later must
 * not undo an old episode. A D-SACK caused by the network duplicating a retransmission looks the same as one for a
 * spurious retransmission (RFC 3708 §5): with one retransmission in the episode it undoes a needed reduction; the
 * counters show how often.
 *
 * <p>With RACK-TLP (RFC 8985) RACK's retransmissions are the recovery's like any other. A tail loss probe that resends
 * data (§7.3) is sent outside any episode, before the loss it may repair is known, and so belongs to none yet: not to
 * the last one, which it would otherwise join (a needless probe, D-SACKed, could then undo an old episode whose only
 * retransmission was the probe that ended it). It is held aside until RACK-TLP is done with it (§7.4): the recovery or
 * timeout that took over while it was in flight, or the reduction of a loss the probe alone repaired (§7.4.2), has it
 * among its retransmissions, as their response covers what it repaired (§9.3), so that episode is undone only if the
 * probe was needless too; otherwise it is forgotten.
 *
 * <p>Owned by the stack thread (one per sender); allocates nothing after construction.
 */
final class SpuriousRecoveryUndo
{
    /** Separate retransmitted ranges one episode may hold. */
    static final int MAX_RANGES = 8;

    private final TcpSender snd;
    private final StackCounters counters;
    private final TcpTimestamps ts;
    /** {@link TcpConfig#undoSpuriousRecoveries()}. */
    private final boolean enabled;

    /** {@link CongestionControl#reductions()} of the episode tracked. */
    private long episode = -1;
    /** The episode may still prove spurious. */
    private boolean tracking;
    /** Retransmitted ranges without evidence yet, [lefts[i], rights[i]), disjoint. */
    private final int[] lefts = new int[MAX_RANGES];
    private final int[] rights = new int[MAX_RANGES];
    /** Whether range i was sent from SND.UNA with timestamps on (RFC 3522 can judge it), and its earliest TSval. */
    private final boolean[] eifel = new boolean[MAX_RANGES];
    private final int[] tsVals = new int[MAX_RANGES];
    private int count;
    private boolean retransmitted;
    private long lastRetransmitNs;

    // --- RFC 8985 §7.3: the last loss probe that resent data, until an episode takes it or RACK-TLP is done with it
    private boolean probePending;
    private int probeLeft;
    private int probeRight;
    private boolean probeEifel;
    private int probeTsVal;
    private long probeSentNs;

    SpuriousRecoveryUndo(final TcpSender snd, final StackCounters counters, final TcpTimestamps ts,
        final boolean enabled)
    {
        this.snd = snd;
        this.counters = counters;
        this.ts = ts;
        this.enabled = enabled;
    }

    /**
     * RFC 2883 §4: the first SACK block is a D-SACK when it lies at or below the cumulative ACK, or within the second
     * block.
     */
    static boolean isDsack(final TcpOptions options, final int ack)
    {
        final int[] lefts = options.sackLeft;
        final int[] rights = options.sackRight;
        return options.sackBlockCount > 0 && (SeqNum.le(rights[0], ack)
            || options.sackBlockCount > 1 && SeqNum.le(lefts[1], lefts[0]) && SeqNum.le(rights[0], rights[1]));
    }

    /**
     * {@code length} bytes from {@code seq} were sent again; {@code probe}: by a tail loss probe (RFC 8985 §7.3), held
     * aside until {@link #onProbeEnd}.
     */
    void onRetransmission(final int seq, final int length, final boolean probe, final long nowNs)
    {
        if (!enabled || length <= 0)
        {
            return;
        }
        // RFC 3522 §2: the TSval this retransmission carries (the same clock reading as the segment's option)
        final boolean eifel = ts.enabled && seq == snd.sndUna;
        final int tsVal = ts.tsVal(nowNs);
        if (probe)
        {
            probePending = true;
            probeLeft = seq;
            probeRight = seq + length;
            probeEifel = eifel;
            probeTsVal = tsVal;
            probeSentNs = nowNs;
            return;
        }
        followEpisode();
        if (tracking)
        {
            record(seq, seq + length, eifel, tsVal, nowNs);
        }
    }

    /**
     * RFC 8985 §7.4: RACK-TLP is done with the last probe (a D-SACK or the ACK of its data showed it needless, or it
     * ended in a reduction of its own, §7.4.2, or a recovery or timeout took over): a reduction made since it went out
     * has it among its retransmissions; otherwise it is forgotten.
     */
    void onProbeEnd()
    {
        if (probePending)
        {
            followEpisode();
        }
        probePending = false;
    }

    /**
     * Follows {@link CongestionControl#reductions()}: a new value starts a new episode, whose retransmissions so far are
     * the probe still in flight when it began, if any (RFC 8985 §7.4, §9.3).
     */
    private void followEpisode()
    {
        final CongestionControl cc = snd.cc;
        final long reductions = cc.reductions();
        if (reductions == episode)
        {
            return;
        }
        episode = reductions;
        tracking = cc.undoable();
        count = 0;
        retransmitted = false;
        lastRetransmitNs = Long.MIN_VALUE;
        if (probePending)
        {
            probePending = false;
            if (tracking)
            {
                record(probeLeft, probeRight, probeEifel, probeTsVal, probeSentNs);
            }
        }
    }

    private void record(final int left, final int right, final boolean eifel, final int tsVal, final long sentNs)
    {
        retransmitted = true;
        lastRetransmitNs = Math.max(lastRetransmitNs, sentNs);
        add(left, right, eifel, tsVal);
    }

    /** An acceptable ACK with {@code ack} was processed. */
    void onAck(final TcpOptions options, final int ack, final long nowNs)
    {
        if (!enabled)
        {
            return;
        }
        followEpisode();
        if (!tracking || !retransmitted)
        {
            return;
        }
        final CongestionControl cc = snd.cc;
        if (!cc.undoable())
        {
            tracking = false; // this one was undone
            return;
        }
        final boolean proven = count == 0;
        if (!proven && nowNs - lastRetransmitNs > snd.rtt.rtoNs())
        {
            tracking = false; // evidence too late to trust
            return;
        }
        if (snd.sack.enabled && isDsack(options, ack))
        {
            remove(options.sackLeft[0], options.sackRight[0]); // RFC 3708 §3
        }
        if (options.hasTimestamps && !judgeByTimestamps(options.tsEcr, ack))
        {
            tracking = false; // RFC 3522 §2: the retransmission was what arrived: a real loss
            return;
        }
        if (count == 0 && !cc.inRecovery())
        {
            tracking = false;
            if (cc.undoReduction(snd.sndMax - snd.sndUna, nowNs))
            {
                counters.increment(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE);
            }
        }
    }

    /**
     * RFC 3522 §2 for the ranges an ACK covers first: an echo older than their retransmission proves them sent for
     * nothing (they leave the ranges); one not older proves a real loss.
     *
     * @return false on a real loss
     */
    private boolean judgeByTimestamps(final int tsEcr, final int ack)
    {
        boolean proved = false;
        for (int i = count - 1; i >= 0; i--)
        {
            if (!eifel[i] || !SeqNum.gt(ack, lefts[i]))
            {
                continue;
            }
            if (!SeqNum.lt(tsEcr, tsVals[i]))
            {
                return false;
            }
            proved = true;
            if (SeqNum.lt(ack, rights[i]))
            {
                lefts[i] = ack; // the rest is judged by the ACK that covers it
            }
            else
            {
                removeAt(i);
            }
        }
        if (proved)
        {
            counters.increment(Counter.TCP_EIFEL_DETECTIONS); // the ACK was for the original
        }
        return true;
    }

    /**
     * Adds [left, right) to the ranges, merging with those it touches (a merged range is judged by timestamps only if
     * all of it can be, by its earliest TSval); stops tracking when there is no room.
     */
    private void add(final int left, final int right, final boolean judgeable, final int tsVal)
    {
        int l = left;
        int r = right;
        boolean e = judgeable;
        int earliest = tsVal;
        int i = 0;
        while (i < count)
        {
            if (SeqNum.le(lefts[i], r) && SeqNum.le(l, rights[i]))
            {
                l = SeqNum.lt(lefts[i], l) ? lefts[i] : l;
                r = SeqNum.gt(rights[i], r) ? rights[i] : r;
                e &= eifel[i];
                earliest = SeqNum.lt(tsVals[i], earliest) ? tsVals[i] : earliest;
                removeAt(i);
            }
            else
            {
                i++;
            }
        }
        if (count == MAX_RANGES)
        {
            tracking = false;
            return;
        }
        lefts[count] = l;
        rights[count] = r;
        eifel[count] = e;
        tsVals[count] = earliest;
        count++;
    }

    /** Takes [left, right) out of the ranges (evidence that it was sent needlessly). */
    private void remove(final int left, final int right)
    {
        if (!SeqNum.lt(left, right))
        {
            return;
        }
        for (int i = count - 1; i >= 0; i--)
        {
            final int l = lefts[i];
            final int r = rights[i];
            if (!SeqNum.lt(left, r) || !SeqNum.lt(l, right))
            {
                continue; // no overlap
            }
            final boolean keepLow = SeqNum.lt(l, left);
            final boolean keepHigh = SeqNum.gt(r, right);
            if (keepLow && keepHigh)
            {
                if (count == MAX_RANGES)
                {
                    tracking = false;
                    return;
                }
                rights[i] = left;
                lefts[count] = right;
                rights[count] = r;
                eifel[count] = eifel[i];
                tsVals[count] = tsVals[i];
                count++;
            }
            else if (keepLow)
            {
                rights[i] = left;
            }
            else if (keepHigh)
            {
                lefts[i] = right;
            }
            else
            {
                removeAt(i);
            }
        }
    }

    private void removeAt(final int i)
    {
        count--;
        lefts[i] = lefts[count];
        rights[i] = rights[count];
        eifel[i] = eifel[count];
        tsVals[i] = tsVals[count];
    }
}
