package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpOptions;

import static io.tapstack.tcp.TcpConnection.NONE;

/**
 * RACK-TLP loss detection for the sender (RFC 8985), used when SACK was negotiated and {@link TcpConfig#rack()}.
 * Read RFC 8985 §2-3 (the ideas), §6 (RACK) and §7 (TLP) first; the steps below carry its section numbers.
 *
 * <p>RACK ("recent acknowledgment"): every segment's most recent transmission time is kept
 * ({@link RackSegments}). When an ACK delivers a segment, any segment sent before it that is still not delivered
 * after a reordering window (RACK.reo_wnd) has passed is deemed lost; a segment whose window has not passed yet gets
 * the reordering timer. This replaces RFC 6675's IsLost() (three segments SACKed above): it detects lost
 * retransmissions, losses at the tail of a short flight, and tolerates reordering it has seen. RFC 6675's machinery
 * still does the rest ({@link SackRecovery}): entering recovery (now also on a RACK-detected loss), NextSeg() (rule 1
 * takes RACK's lost segments; rule 3, which resends segments not deemed lost, is left out: it would defeat the
 * reordering window), pipe (counting what RACK deemed lost as gone), the congestion response.
 *
 * <p>TLP ("tail loss probe"): about two round trips after the last transmission with nothing heard, one probe
 * segment (new data, else the last segment again) asks for an ACK whose SACK information lets RACK find the lost
 * tail, instead of waiting for the retransmission timeout. A probe that alone repaired a loss is detected (§7.4.2)
 * and gets the congestion response a fast recovery would have had.
 *
 * <p>Timers: the reordering timer and the probe timeout live here ({@link #deadlineNs()}); the RTO stays armed
 * beside them as the last resort (RFC 8985 §8 lets an implementation keep one timer; the connection runs ours
 * first, so a probe due with the RTO pre-empts it, and a probe re-arms the RTO, §7.3). Owned by the stack thread;
 * nothing allocates after the records' ring, made at the first segment sent.
 */
final class RackTlp
{
    /** RFC 8985 §6.2 step 1: the window of the min-filtered RTT (Linux's tcp_min_rtt_wlen, 300 s). */
    static final long MIN_RTT_WINDOW_NS = 300_000_000_000L;
    /** RFC 8985 §7.2: the probe timeout before any RTT sample. */
    static final long PTO_WITHOUT_RTT_NS = 1_000_000_000L;
    /** Bounds on the records' ring, which is sized from the send buffer and the MSS. */
    static final int MIN_RECORDS = 16;
    static final int MAX_RECORDS = 1 << 16;

    private final TcpConnection connection;
    private final TcpSender snd;
    private final TcpConfig config;
    private final StackCounters counters;
    private final TcpTimestamps ts;
    /** Made at the first segment sent with RACK on (an idle connection holds none). */
    private RackSegments segments;

    // --- RFC 8985 §5.2: RACK.segment, the most recently sent segment known delivered
    private boolean delivered;
    /** RACK.xmit_ts and RACK.end_seq: its transmission time and end. */
    private long xmitTs;
    private int endSeq;
    /** RACK.rtt: the round trip measured on it. */
    private long rttNs;
    /** RACK.fack: the highest end delivered; valid when {@code fackValid}. */
    private int fack;
    private boolean fackValid;
    /** RACK.reordering_seen. */
    private boolean reorderingSeen;
    /** RACK.min_RTT. */
    private final WindowedMin minRtt = new WindowedMin(MIN_RTT_WINDOW_NS);
    /** RACK.reo_wnd_mult with RACK.reo_wnd_persist and RACK.dsack_round. */
    private final RackReoWndMultiplier reoWndMult = new RackReoWndMultiplier();
    /** After an RTO until the cumulative ACK reaches SND.MAX as it was then (RFC 8985's "RTO recovery"). */
    private boolean rtoRecovery;
    private int rtoRecoveryPoint;

    // --- RFC 8985 §7: TLP.end_seq (valid while a probe is in flight), TLP.is_retrans
    private boolean tlpInFlight;
    private int tlpEndSeq;
    private boolean tlpIsRetrans;
    /** RFC 8985 §7.3 condition 2: an RTT sample since the last probe. */
    private boolean rttSampledSinceProbe;
    /** The Segment.xmit_ts given to the last transmission (see {@link #onSent}). */
    private long lastXmitNs = Long.MIN_VALUE;

    // --- timers (absolute ns, NONE when off)
    long reorderDeadline = NONE;
    long ptoDeadline = NONE;

    RackTlp(final TcpConnection connection, final TcpSender snd, final TcpConfig config, final StackCounters counters,
        final TcpTimestamps ts)
    {
        this.connection = connection;
        this.snd = snd;
        this.config = config;
        this.counters = counters;
        this.ts = ts;
    }

    /** RFC 8985 §4: RACK-TLP needs SACK. */
    boolean active()
    {
        return snd.sack.enabled && config.rack();
    }

    /** Active and keeping records (from the first segment sent). */
    boolean tracks()
    {
        return segments != null && active();
    }

    boolean reorderingSeen()
    {
        return reorderingSeen;
    }

    long deadlineNs()
    {
        return Math.min(reorderDeadline, ptoDeadline);
    }

    // ------------------------------------------------------------------------------------------------ transmission

    /** RFC 8985 §6.1: {@code [seq, end)} went out now (new or again). */
    void onSent(final int seq, final int end, final long nowNs)
    {
        if (!active())
        {
            return;
        }
        if (segments == null)
        {
            final long perMss = (long)config.sendBufferBytes() / Math.max(1, snd.sendMss) + 1;
            // twice the full-sized segments the send buffer holds: room for shorter ones and for splits
            segments = new RackSegments((int)Math.max(MIN_RECORDS, Math.min(MAX_RECORDS, 2 * perMss + 8)));
        }
        // RFC 8985 §6.1 Segment.xmit_ts. The stack reads the clock once per duty cycle, and one cycle may send new data
        // for one ACK and then retransmit for the next: RACK_sent_after's tie-break by sequence (§6.2 step 2) would
        // take such a retransmission for older than the new data, and deem it lost as soon as that is delivered.
        // Each transmission's time is therefore unique and in the order they went out, a nanosecond apart at most.
        final long xmitNs = Math.max(nowNs, lastXmitNs + 1);
        lastXmitNs = xmitNs;
        final long mergesBefore = segments.merges();
        segments.onSent(seq, end, xmitNs);
        if (segments.merges() != mergesBefore)
        {
            counters.add(Counter.TCP_RACK_RECORDS_MERGED, segments.merges() - mergesBefore);
        }
    }

    /** RFC 8985 §6.2 step 1 (an RFC 6298 or RFC 7323 measurement) and §7.3 condition 2. */
    void onRttSample(final long sampleNs, final long nowNs)
    {
        minRtt.update(sampleNs, nowNs);
        rttSampledSinceProbe = true;
    }

    // ------------------------------------------------------------------------------------------------ ACKs

    /**
     * RFC 8985 §6.2 steps 2-5 and §7.4 for an acceptable ACK, after its SACK blocks updated the scoreboard and
     * before SND.UNA moves to {@code ack}.
     */
    void onAck(final int ack, final TcpOptions options, final long nowNs)
    {
        if (!tracks())
        {
            return;
        }
        final boolean advanced = SeqNum.gt(ack, snd.sndUna);
        final boolean dsack = options.sackBlockCount > 0 && firstBlockIsDsack(options, ack);
        onTlpAck(ack, advanced, dsack, options, nowNs);
        markDelivered(ack, options, nowNs);
        if (reoWndMult.onAck(advanced ? ack : snd.sndUna, snd.sndMax, dsack)) // RFC 8985 §6.2 step 4
        {
            counters.increment(Counter.TCP_RACK_REO_WND_INCREASES);
        }
        if (advanced)
        {
            segments.trimBelow(ack);
            if (rtoRecovery && SeqNum.ge(ack, rtoRecoveryPoint))
            {
                rtoRecovery = false;
                onRecoveryEnd();
            }
        }
        detectLossAndArmTimer(TcpEventListener.LOSS_RACK, nowNs);
    }

    /**
     * RFC 8985 §6.2 steps 2-3: the segments this ACK newly delivers (cumulatively or selectively, in sequence order):
     * RACK.fack and reordering, then RACK.segment and RACK.rtt from the most recently sent of them whose sample is not
     * ambiguous.
     */
    private void markDelivered(final int ack, final TcpOptions options, final long nowNs)
    {
        final SackScoreboard board = snd.sack.scoreboard;
        final int ranges = board.count();
        int k = 0;
        boolean found = false;
        long bestTs = 0;
        int bestEnd = 0;
        for (int i = 0, n = segments.count(); i < n; i++)
        {
            final int f = segments.flags(i);
            final int start = segments.start(i);
            final int end = segments.end(i);
            if (!SeqNum.le(end, ack))
            {
                while (k < ranges && SeqNum.le(board.right(k), start))
                {
                    k++;
                }
                if (k == ranges)
                {
                    break; // nothing SACKed at or above this segment
                }
                if ((f & RackSegments.SACKED) != 0 || SeqNum.gt(board.left(k), start)
                    || SeqNum.lt(board.right(k), end))
                {
                    continue; // delivered before, or not (wholly) SACKed
                }
                segments.setFlags(i, f | RackSegments.SACKED);
            }
            else if ((f & RackSegments.SACKED) != 0)
            {
                continue; // SACKed before, cumulatively acknowledged now
            }
            // step 3: a never retransmitted segment delivered below RACK.fack arrived out of order
            if (!fackValid || SeqNum.gt(end, fack))
            {
                fack = end;
                fackValid = true;
            }
            else if (SeqNum.lt(end, fack) && (f & RackSegments.RETRANSMITTED) == 0)
            {
                reorderingSeen = true;
            }
            // step 2: skip a retransmitted segment whose sample is ambiguous
            final long sent = segments.xmitTs(i);
            if ((f & RackSegments.RETRANSMITTED) != 0 && ambiguous(sent, options, nowNs))
            {
                continue;
            }
            if (!found || sentAfter(sent, end, bestTs, bestEnd))
            {
                found = true;
                bestTs = sent;
                bestEnd = end;
            }
        }
        if (found)
        {
            rttNs = Math.max(nowNs - bestTs, 0); // an ACK in the cycle of the send (a script's instant round trip)
            if (!delivered || sentAfter(bestTs, bestEnd, xmitTs, endSeq))
            {
                delivered = true;
                xmitTs = bestTs;
                endSeq = bestEnd;
            }
        }
    }

    /**
     * RFC 8985 §6.2 step 2: an ACK of a retransmitted segment is ambiguous when its TSecr echoes an earlier
     * transmission (RFC 7323), or when the segment was last sent less than RACK.min_RTT ago.
     */
    private boolean ambiguous(final long sentNs, final TcpOptions options, final long nowNs)
    {
        if (ts.enabled && options.hasTimestamps && SeqNum.lt(options.tsEcr, ts.tsVal(sentNs)))
        {
            return true;
        }
        return !minRtt.isEmpty() && nowNs - sentNs < minRtt.get();
    }

    /** RFC 8985 §6.2 step 2: RACK_sent_after(t1, seq1, t2, seq2), the end sequence breaking a tie of times. */
    static boolean sentAfter(final long t1, final int seq1, final long t2, final int seq2)
    {
        return t1 > t2 || t1 == t2 && SeqNum.gt(seq1, seq2);
    }

    /** RFC 2883 §4: the first block is a D-SACK when it lies below the ACK or inside the second block. */
    private static boolean firstBlockIsDsack(final TcpOptions options, final int ack)
    {
        final int[] lefts = options.sackLeft;
        final int[] rights = options.sackRight;
        return SeqNum.le(rights[0], ack)
            || options.sackBlockCount > 1 && SeqNum.le(lefts[1], lefts[0]) && SeqNum.le(rights[0], rights[1]);
    }

    /** RFC 8985 §6.2 step 4: fast or RTO recovery ended. */
    void onRecoveryEnd()
    {
        reoWndMult.onRecoveryEnd();
    }

    /**
     * RFC 8985 §6.2 step 4: RACK.reo_wnd = min(reo_wnd_mult · min_RTT / 4, SRTT); 0 while no reordering was seen
     * and the sender is in fast or RTO recovery, or DupThresh segments are SACKed.
     */
    long reoWndNs()
    {
        if (!reorderingSeen && (snd.sack.active || rtoRecovery
            || segments != null && segments.sacked() >= SackRecovery.DUP_THRESH))
        {
            return 0;
        }
        final long srtt = snd.rtt.srttNs();
        final long min = minRtt.isEmpty() ? srtt : minRtt.get();
        return Math.min(reoWndMult.multiplier() * (min / 4), srtt);
    }

    // ------------------------------------------------------------------------------------------------ losses

    /** RFC 8985 §6.2 step 5: RACK_detect_loss_and_arm_timer(). */
    private void detectLossAndArmTimer(final String reason, final long nowNs)
    {
        final long timeout = detectLoss(reason, nowNs);
        if (timeout > 0)
        {
            reorderDeadline = nowNs + timeout;
            ptoDeadline = NONE; // RFC 8985 §8: one of them at a time
        }
        else
        {
            reorderDeadline = NONE;
        }
    }

    /**
     * RFC 8985 §6.2 step 5 RACK_detect_loss(): a segment not delivered that was sent before RACK.segment is lost once
     * RACK.rtt + RACK.reo_wnd has passed since it was sent.
     *
     * @return how long until the next such segment's window passes; 0 when none waits
     */
    private long detectLoss(final String reason, final long nowNs)
    {
        if (!delivered)
        {
            return 0;
        }
        final long reoWnd = reoWndNs();
        long timeout = 0;
        int lost = 0;
        int lostRetransmissions = 0;
        for (int i = 0, n = segments.count(); i < n; i++)
        {
            final int f = segments.flags(i);
            if ((f & RackSegments.SACKED) != 0 || RackSegments.awaitsRetransmission(f))
            {
                continue; // delivered, or lost already (the RFC's INFINITE_TS)
            }
            final long sent = segments.xmitTs(i);
            final int end = segments.end(i);
            if (!sentAfter(xmitTs, endSeq, sent, end))
            {
                if ((f & RackSegments.RETRANSMITTED) == 0)
                {
                    break; // first transmissions go in sequence order: none above this one was sent earlier
                }
                continue;
            }
            final long remaining = sent + rttNs + reoWnd - nowNs;
            if (remaining > 0)
            {
                timeout = Math.max(timeout, remaining);
                continue;
            }
            segments.setFlags(i, (f | RackSegments.LOST) & ~RackSegments.RETRANSMISSION_IN_FLIGHT);
            lost++;
            if ((f & RackSegments.RETRANSMISSION_IN_FLIGHT) != 0)
            {
                lostRetransmissions++;
            }
            final int start = segments.start(i);
            connection.events().onLossDetected(connection, start, end - start, reason, nowNs);
        }
        if (lost > 0)
        {
            counters.add(Counter.TCP_RACK_LOSSES_DETECTED, lost);
            counters.add(Counter.TCP_RACK_LOST_RETRANSMISSIONS, lostRetransmissions);
        }
        return timeout;
    }

    /**
     * A segment RACK deemed lost is not yet delivered, resent or not: a loss, on which a recovery starts (RFC 8985
     * §6.2), also when it was found and resent during the last recovery but sent after that one began.
     */
    boolean hasLost()
    {
        return tracks() && segments.lostOutstanding() > 0;
    }

    /** A segment RACK deemed lost waits for its retransmission. */
    boolean awaitsRetransmission()
    {
        return tracks() && segments.awaitingRetransmission() > 0;
    }

    /** The first sequence number RACK deemed lost and not yet resent, or {@code otherwise}. */
    int firstLost(final int otherwise)
    {
        final int i = firstAwaiting();
        return i < 0 ? otherwise : segments.start(i);
    }

    private int firstAwaiting()
    {
        if (segments == null || segments.awaitingRetransmission() == 0)
        {
            return -1;
        }
        for (int i = 0, n = segments.count(); i < n; i++)
        {
            if (RackSegments.awaitsRetransmission(segments.flags(i)))
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * RFC 6675 SetPipe() with RACK's marks for IsLost(): each unSACKed segment counts once unless deemed lost, and
     * once more while a retransmission of it is in flight.
     */
    int pipe()
    {
        int pipe = 0;
        for (int i = 0, n = segments.count(); i < n; i++)
        {
            final int f = segments.flags(i);
            if ((f & RackSegments.SACKED) == 0)
            {
                final int length = segments.end(i) - segments.start(i);
                pipe += ((f & RackSegments.LOST) == 0 ? length : 0)
                    + ((f & RackSegments.RETRANSMISSION_IN_FLIGHT) != 0 ? length : 0);
            }
        }
        return pipe;
    }

    /**
     * RFC 6675 §5 (C) NextSeg() rule 1 with RACK's marks (RFC 8985 §6.2: "which NextSeg then retransmits"): while
     * cwnd - pipe ≥ 1 SMSS, resend the lowest segment deemed lost, with the lost ones right after it up to an MSS.
     * Unlike rule 1 it may go below HighRxt: a lost retransmission is resent.
     */
    void retransmitLost(final long nowNs)
    {
        final SackRecovery sack = snd.sack;
        final int smss = snd.cc.smss();
        while (sack.active)
        {
            final int i = firstAwaiting();
            if (i < 0)
            {
                return;
            }
            final int start = segments.start(i);
            int end = segments.end(i);
            // RFC 6675 (C) asks for one SMSS of room; a segment shorter than that (the SACK blocks our ACKs carry
            // shorten our data) needs only its own length, or one that left pipe could not take its place: a stall
            // until the RTO (measured over a TAP at 5% loss)
            final int room = snd.cc.cwnd() - pipe();
            if (room < Math.min(smss, end - start))
            {
                return;
            }
            for (int j = i + 1, n = segments.count(); room >= smss && j < n && segments.start(j) == end
                && RackSegments.awaitsRetransmission(segments.flags(j)); j++)
            {
                end = segments.end(j); // with room for a full segment, the lost ones after it fill it up
            }
            final int sent = snd.retransmit(start, end - start, TcpEventListener.RETRANSMIT_RACK, nowNs);
            if (sent <= 0)
            {
                return;
            }
            if (SeqNum.gt(start + sent, sack.highRxt))
            {
                sack.highRxt = start + sent;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ timers

    /** Runs the reordering timer or the probe timeout when due. */
    void onTimer(final long nowNs)
    {
        if (reorderDeadline <= nowNs)
        {
            reorderDeadline = NONE;
            onReorderTimeout(nowNs);
        }
        if (ptoDeadline <= nowNs)
        {
            ptoDeadline = NONE;
            onProbeTimeout(nowNs);
        }
    }

    /** RFC 8985 §6.2 step 5: the reordering timer: detect again, and enter recovery on a loss found (§6.2). */
    private void onReorderTimeout(final long nowNs)
    {
        if (!tracks())
        {
            return;
        }
        counters.increment(Counter.TCP_RACK_REORDER_TIMEOUTS);
        detectLossAndArmTimer(TcpEventListener.LOSS_RACK_TIMER, nowNs);
        if (segments.awaitingRetransmission() > 0 && !snd.sack.active)
        {
            snd.sack.maybeEnter(0, nowNs); // the connection's output then resends (NextSeg)
            if (snd.sack.active)
            {
                // RFC 8985 §9.3: what RACK deems lost is resent when congestion control allows; with no ACK to pace
                // the recovery's start, PRR takes a step with nothing delivered (RFC 6937 §3)
                snd.pacing.onRecoveryWithoutAck(nowNs);
            }
        }
        // in recovery, the segments now deemed lost left pipe, and resending them within the cwnd PRR set at the last
        // ACK keeps what is in flight where PRR put it (as Linux does); a PRR step with nothing delivered could stall
        // the recovery until the RTO when no further ACK is coming
    }

    /** The RTO fired (RFC 8985 §6.3): RTO recovery; the first segment lost, and those sent RTT + reo_wnd ago. */
    void onRetransmissionTimeout(final boolean scoreboardForgotten, final long nowNs)
    {
        stopTimers();
        endProbe(); // the timeout's response covers what a probe in flight may have repaired
        if (!tracks())
        {
            return;
        }
        if (scoreboardForgotten)
        {
            segments.clearSacked(); // RFC 2018 §8
        }
        rtoRecovery = true;
        rtoRecoveryPoint = snd.sndMax;
        final long reoWnd = reoWndNs();
        for (int i = 0, n = segments.count(); i < n; i++)
        {
            final int f = segments.flags(i);
            if ((f & RackSegments.SACKED) == 0 && !RackSegments.awaitsRetransmission(f)
                && (i == 0 || delivered && segments.xmitTs(i) + rttNs + reoWnd <= nowNs))
            {
                segments.setFlags(i, (f | RackSegments.LOST) & ~RackSegments.RETRANSMISSION_IN_FLIGHT);
            }
        }
    }

    void stopTimers()
    {
        reorderDeadline = NONE;
        ptoDeadline = NONE;
    }

    // ------------------------------------------------------------------------------------------------ TLP

    /**
     * RFC 8985 §7.2: (re)start the probe timeout after new data went out or an ACK acknowledged new data, unless in
     * fast or RTO recovery or with segments SACKed: PTO = 2·SRTT, plus WCDelAckT when one segment is in flight,
     * never later than the RTO would fire.
     */
    void schedulePto(final long nowNs)
    {
        if (!tracks() || snd.sndUna == snd.sndMax || snd.sack.active || rtoRecovery || segments.sacked() > 0
            || reorderDeadline != NONE)
        {
            ptoDeadline = NONE;
            return;
        }
        long pto = PTO_WITHOUT_RTT_NS;
        if (snd.rtt.hasSample())
        {
            pto = 2 * snd.rtt.srttNs();
            if (SeqNum.diff(snd.sndMax, snd.sndUna) <= snd.sendMss)
            {
                pto += config.tlpWorstCaseDelayedAckNs();
            }
        }
        final long deadline = nowNs + Math.max(pto, config.tlpMinPtoNs());
        ptoDeadline = Math.min(deadline, snd.rtoDeadline);
    }

    /**
     * RFC 8985 §7.3: with no probe in flight and an RTT sample since the last one, send one segment of new data if
     * the peer's window takes it, else the last segment sent again; either way re-arm the RTO (not the PTO).
     */
    private void onProbeTimeout(final long nowNs)
    {
        if (!tracks() || snd.sndUna == snd.sndMax || snd.sack.active || rtoRecovery)
        {
            return;
        }
        if (!tlpInFlight && rttSampledSinceProbe)
        {
            final boolean newData = snd.sendNewDataProbe(nowNs);
            if (newData || snd.retransmitLastSegment(nowNs))
            {
                counters.increment(Counter.TCP_TLP_PROBES);
                tlpInFlight = true;
                tlpIsRetrans = !newData;
                tlpEndSeq = snd.sndMax;
                rttSampledSinceProbe = false;
            }
        }
        snd.rtoDeadline = nowNs + snd.rtt.rtoNs();
        ptoDeadline = NONE;
    }

    /**
     * RFC 8985 §7.4: the ACK of a probe. A probe of new data, or one the receiver reports as a duplicate (a D-SACK,
     * or a pure duplicate ACK), ends the episode; an ACK beyond TLP.end_seq without either means the probe repaired
     * a loss of the tail alone (§7.4.2), which gets the congestion response of a recovery.
     */
    private void onTlpAck(final int ack, final boolean advanced, final boolean dsack, final TcpOptions options,
        final long nowNs)
    {
        if (!tlpInFlight)
        {
            return;
        }
        if (snd.sack.active || rtoRecovery)
        {
            endProbe(); // a recovery took over: its response covers the loss (§9.3)
            return;
        }
        if (!SeqNum.ge(ack, tlpEndSeq))
        {
            return;
        }
        if (!tlpIsRetrans)
        {
            endProbe();
        }
        else if (dsack && SeqNum.lt(options.sackLeft[0], tlpEndSeq) && SeqNum.ge(options.sackRight[0], tlpEndSeq))
        {
            endProbe(); // the probe was a duplicate: nothing was lost
        }
        else if (SeqNum.gt(ack, tlpEndSeq))
        {
            counters.increment(Counter.TCP_TLP_RECOVERIES);
            final int length = Math.min(snd.sendMss, SeqNum.diff(tlpEndSeq, snd.sndUna));
            connection.events().onLossDetected(connection, tlpEndSeq - length, length, TcpEventListener.LOSS_TLP,
                nowNs);
            // a recovery that began and ended with this ACK: the window reduction, then the full ACK's cwnd
            final CongestionControl cc = snd.cc;
            if (cc.onSackRecoveryStart(ack, snd.pacing.lossFlightSize(), snd.sndMax, nowNs))
            {
                cc.onFullAck(SeqNum.diff(snd.sndMax, ack), nowNs);
            }
            endProbe(); // the probe is that reduction's retransmission (RFC 3708 undoes it only if D-SACKed)
        }
        else if (!advanced && options.sackBlockCount == 0)
        {
            endProbe(); // a duplicate ACK without SACK: the original and the probe both arrived
        }
    }

    /** The probe's episode ends; the undo of spurious episodes learns where the probe belongs. */
    private void endProbe()
    {
        tlpInFlight = false;
        snd.pacing.undo.onProbeEnd();
    }
}
