package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpOptions;

/**
 * SACK-based loss recovery for the sender (RFC 6675) over its {@link SackScoreboard}: the peer's SACK blocks
 * (RFC 2018, with RFC 2883 D-SACKs recognised), IsLost(), SetPipe() and NextSeg(), entering recovery on the third
 * duplicate ACK or when IsLost(SND.UNA), the rescue retransmission, and leaving at RecoveryPoint. Read RFC 6675 §2-§5
 * and RFC 2883 §4 first.
 *
 * <p>Sequence numbers follow the sender's: RFC 6675's HighACK is SND.UNA, HighData + 1 is SND.MAX; HighRxt,
 * RescueRxt and RecoveryPoint are kept here as one past the octet the RFC names (exclusive ends), so "S ≤ HighRxt"
 * reads {@code S < highRxt}. The window arithmetic stays with {@link CongestionControl}; the segments go out through
 * the sender. Owned by the stack thread.
 */
final class SackRecovery
{
    /** RFC 6675 §2 DupThresh. */
    static final int DUP_THRESH = 3;
    private final TcpSender snd;
    private final StackCounters counters;
    final SackScoreboard scoreboard;
    /** Both SYNs carried SACK-permitted (RFC 2018 §2). */
    boolean enabled;
    /** In RFC 6675 loss recovery: from entering (§5 step 4) to the cumulative ACK of RecoveryPoint (§5 (A)). */
    boolean active;
    /** One past RFC 6675's RecoveryPoint (HighData when recovery began): SND.MAX then. */
    int recoveryPoint;
    /** One past the highest octet retransmitted in this recovery (RFC 6675 HighRxt). */
    int highRxt;
    /** One past RFC 6675's RescueRxt. */
    int rescueRxt;

    SackRecovery(final TcpSender snd, final StackCounters counters, final int maxIntervals)
    {
        this.snd = snd;
        this.counters = counters;
        this.scoreboard = new SackScoreboard(maxIntervals);
    }

    /**
     * RFC 6675 §5: every ACK's SACK blocks update the scoreboard. Blocks at or below the cumulative ACK, or beyond
     * SND.MAX, are ignored (RFC 6675 §5; RFC 2883 §4: a first block below the ACK, or inside the second block, is a
     * D-SACK and reports a duplicate, not new data).
     *
     * @param ack SEG.ACK (the new SND.UNA when it acknowledges new data)
     * @return the bytes newly SACKed
     */
    int onSackBlocks(final TcpOptions options, final int ack)
    {
        final int n = options.sackBlockCount;
        if (n == 0)
        {
            return 0;
        }
        counters.add(Counter.TCP_SACK_BLOCKS_RX, n);
        final int floor = SeqNum.gt(ack, snd.sndUna) ? ack : snd.sndUna;
        final int[] lefts = options.sackLeft;
        final int[] rights = options.sackRight;
        if (SpuriousRecoveryUndo.isDsack(options, ack))
        {
            counters.increment(Counter.TCP_DSACKS_RX); // RFC 2883 §4: the first block is a D-SACK
        }
        final long overflowsBefore = scoreboard.overflows();
        int newly = 0;
        for (int b = 0; b < n; b++)
        {
            int left = lefts[b];
            final int right = rights[b];
            if (!SeqNum.lt(left, right) || SeqNum.le(right, floor) || SeqNum.gt(right, snd.sndMax))
            {
                continue; // RFC 6675 §5: invalid, below HighACK or above HighData
            }
            if (SeqNum.lt(left, floor))
            {
                left = floor;
            }
            newly += scoreboard.add(left, right);
        }
        if (scoreboard.overflows() != overflowsBefore)
        {
            counters.add(Counter.TCP_SACK_SCOREBOARD_OVERFLOWS, scoreboard.overflows() - overflowsBefore);
        }
        return newly;
    }

    /**
     * RFC 6675 §4 IsLost(seq) for an unSACKed {@code seq}: DupThresh discontiguous SACKed ranges above it, or more
     * than (DupThresh - 1) · SMSS bytes SACKed above it.
     */
    boolean isLost(final int seq, final int smss)
    {
        int bytes = 0;
        int ranges = 0;
        for (int k = scoreboard.count() - 1; k >= 0 && SeqNum.gt(scoreboard.left(k), seq); k--)
        {
            bytes += scoreboard.right(k) - scoreboard.left(k);
            ranges++;
        }
        return ranges >= DUP_THRESH || bytes > (DUP_THRESH - 1) * smss;
    }

    /**
     * RFC 6675 §4 SetPipe(): every unSACKed octet in [SND.UNA, SND.MAX) counts once if not IsLost() and once more if
     * retransmitted (below HighRxt). IsLost() is the same for all octets of a hole, and true of every hole below a
     * lost one, so the walk is per hole, from the top.
     */
    int pipe(final int smss)
    {
        if (snd.rack.tracks())
        {
            return snd.rack.pipe(); // RFC 8985: RACK's marks for IsLost()
        }
        final int sndUna = snd.sndUna;
        int pipe = 0;
        int bytesAbove = 0;
        int rangesAbove = 0;
        int holeEnd = snd.sndMax;
        for (int k = scoreboard.count(); k >= 0; k--)
        {
            final int holeStart = k == 0 ? sndUna : scoreboard.right(k - 1);
            final boolean lost = rangesAbove >= DUP_THRESH || bytesAbove > (DUP_THRESH - 1) * smss;
            if (SeqNum.lt(holeStart, holeEnd))
            {
                if (!lost)
                {
                    pipe += holeEnd - holeStart;
                }
                if (active && SeqNum.lt(holeStart, highRxt))
                {
                    pipe += (SeqNum.lt(holeEnd, highRxt) ? holeEnd : highRxt) - holeStart;
                }
            }
            if (k > 0)
            {
                bytesAbove += scoreboard.right(k - 1) - scoreboard.left(k - 1);
                rangesAbove++;
                holeEnd = scoreboard.left(k - 1);
            }
        }
        return pipe;
    }

    /**
     * Out of recovery: a duplicate ACK was counted (or a cumulative ACK arrived); RFC 6675 §5 steps 1-2 and 4: enter
     * loss recovery on the DupThresh-th duplicate or when IsLost(HighACK + 1), and retransmit the first segment.
     */
    void maybeEnter(final int dupAcks, final long nowNs)
    {
        final int smss = snd.cc.smss();
        // RFC 8985 §6.2: with RACK a loss it detected stands for IsLost(), and DupThresh counts only while no
        // reordering was seen (step 4)
        final boolean rack = snd.rack.tracks();
        final boolean lost = rack ? snd.rack.hasLost() : isLost(snd.sndUna, smss);
        final boolean dupThresh = dupAcks >= DUP_THRESH && !(rack && snd.rack.reorderingSeen());
        if (active || snd.sndUna == snd.sndMax || !(lost || dupThresh))
        {
            return;
        }
        // RFC 6675 §5 (4.2): ssthresh = cwnd = FlightSize / 2 (RFC 5681 equation 4); §5.1: not before the ACK
        // reaches a retransmission timeout's RecoveryPoint
        if (!snd.cc.onSackRecoveryStart(snd.sndUna, snd.pacing.lossFlightSize(), snd.sndMax, nowNs))
        {
            return;
        }
        active = true;
        recoveryPoint = snd.sndMax; // (4.1)
        counters.increment(Counter.TCP_SACK_RECOVERIES);
        if (rack && lost && !snd.rack.awaitsRetransmission())
        {
            // the loss this recovery answers was found and resent in the last one, of data sent after that one's
            // reduction (so not covered by it: RFC 5681 §3.2, RFC 8985 §9.3), and its retransmission is in flight:
            // the window is cut, nothing is resent twice
            highRxt = snd.sndUna;
            rescueRxt = snd.sndUna + 1;
            return;
        }
        counters.increment(Counter.TCP_FAST_RETRANSMITS);
        // (4.3): the first segment presumed dropped (RACK's first lost one); HighRxt and RescueRxt at its end
        final int first = rack ? snd.rack.firstLost(snd.sndUna) : snd.sndUna;
        final int end = scoreboard.nextSackedAbove(first, snd.sndMax);
        final int sent = snd.retransmit(first, end - first, TcpEventListener.RETRANSMIT_FAST, nowNs);
        highRxt = first + sent;
        rescueRxt = highRxt;
    }

    /** RFC 6675 §5 (A): a cumulative ACK at or beyond RecoveryPoint ends recovery. */
    boolean endsRecovery(final int ack)
    {
        return active && SeqNum.ge(ack, recoveryPoint);
    }

    /** An RTO (RFC 6675 §5.1): recovery ends; a second one in a row forgets the scoreboard (RFC 2018 §8). */
    void onRetransmissionTimeout(final int retransmissions)
    {
        active = false;
        if (retransmissions > 1)
        {
            scoreboard.clear();
        }
    }

    /**
     * RFC 6675 §5 (C) with NextSeg() rule 1: while cwnd - pipe ≥ 1 SMSS, retransmit the lowest unSACKed segment
     * above HighRxt and below the highest SACKed octet that IsLost().
     */
    void retransmitLost(final long nowNs)
    {
        if (snd.rack.tracks())
        {
            snd.rack.retransmitLost(nowNs); // RFC 8985 §6.2: what RACK deemed lost, lost retransmissions included
            return;
        }
        retransmitHoles(true, nowNs);
    }

    /**
     * RFC 6675 §5 (C) after new data (NextSeg() rule 2) had its turn: rule 3 (the next unSACKed segment below the
     * highest SACKed octet, lost or not), then rule 4 (one rescue retransmission of the highest unSACKed segment).
     */
    void retransmitRest(final long nowNs)
    {
        // RFC 8985: with RACK only what it deemed lost is resent (rule 1); rule 3 would resend what is still inside
        // the reordering window, spuriously where reordering was seen (and each D-SACK widens the window further)
        if (!snd.rack.tracks() && !retransmitHoles(false, nowNs))
        {
            return;
        }
        final int smss = snd.cc.smss();
        final int sndUna = snd.sndUna;
        // rule 4: HighACK > RescueRxt, and unSACKed data outstanding
        if (!active || !SeqNum.ge(sndUna, rescueRxt) || snd.cc.cwnd() - pipe(smss) < smss)
        {
            return;
        }
        final int count = scoreboard.count();
        int top = snd.sndMax;
        int bottom = count > 0 ? scoreboard.right(count - 1) : sndUna;
        if (!SeqNum.lt(bottom, top))
        {
            // nothing unSACKed above the highest SACKed range: the highest hole is below it
            top = scoreboard.left(count - 1);
            bottom = count > 1 ? scoreboard.right(count - 2) : sndUna;
        }
        if (!SeqNum.lt(bottom, top))
        {
            return;
        }
        final int start = SeqNum.diff(top, bottom) > smss ? top - smss : bottom;
        if (snd.retransmit(start, top - start, TcpEventListener.RETRANSMIT_RESCUE, nowNs) > 0)
        {
            counters.increment(Counter.TCP_SACK_RESCUE_RETRANSMITS);
            rescueRxt = recoveryPoint; // HighRxt is not updated
        }
    }

    /**
     * NextSeg() rule 1 ({@code lostOnly}) or 3: retransmits from the lowest unSACKed octet at or above HighRxt below
     * the highest SACKed octet while cwnd - pipe ≥ 1 SMSS (or the hole's length, when shorter).
     *
     * @return true when the window still has room (the caller may go on to the next rule)
     */
    private boolean retransmitHoles(final boolean lostOnly, final long nowNs)
    {
        final int smss = snd.cc.smss();
        while (active)
        {
            final int room = snd.cc.cwnd() - pipe(smss);
            final int count = scoreboard.count();
            if (count == 0)
            {
                return room >= smss;
            }
            int s = SeqNum.gt(highRxt, snd.sndUna) ? highRxt : snd.sndUna;
            s = scoreboard.skipSacked(s);
            final int highestSacked = scoreboard.right(count - 1);
            if (!SeqNum.lt(s, highestSacked) || lostOnly && !isLost(s, smss))
            {
                return room >= smss;
            }
            final int holeEnd = scoreboard.nextSackedAbove(s, highestSacked);
            // RFC 6675 §5 (C) asks for one SMSS of room; a hole shorter than that needs only its own length (as
            // RackTlp.retransmitLost), or it waits while the short segments that leave pipe never free a full SMSS
            if (room < Math.min(smss, holeEnd - s))
            {
                return false;
            }
            final int sent = snd.retransmit(s, holeEnd - s, TcpEventListener.RETRANSMIT_SACK, nowNs);
            if (sent <= 0)
            {
                return false;
            }
            highRxt = s + sent;
        }
        return true;
    }
}
