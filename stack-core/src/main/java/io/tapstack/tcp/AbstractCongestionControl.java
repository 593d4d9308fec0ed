package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;

/**
 * What {@link NewReno} and {@link Cubic} share: the windows (cwnd, ssthresh, the initial and restart windows of
 * RFC 6928 §2 and RFC 5681 §4.1) and loss recovery as RFC 5681 §3.2 and RFC 6582 §3.2 describe it, which CUBIC runs
 * on unchanged (RFC 9438 §4.6 leaves recovery to them): fast retransmit, fast recovery with NewReno's partial ACKs,
 * RFC 6675's SACK recovery start, the retransmission timeout's response and the listener. A subclass says only how
 * much a congestion event or a timeout cuts ({@link #ssthreshOnLoss}, {@link #ssthreshOnTimeout}), forgets its
 * growth state when told to ({@link #restartGrowth}) and grows the window in {@link #onAck}.
 *
 * <p>Also shared: Proportional Rate Reduction during recovery (RFC 6937), undoing a reduction found spurious (RFC
 * 4015 §2; what CUBIC adds is in its {@link #saveBeforeReduction} and {@link #restoreAfterUndo}) and congestion window
 * validation for a rate-limited sender (RFC 7661, {@link CongestionWindowValidation}; each subclass asks
 * {@link #windowMayGrow} before growing cwnd).
 *
 * <p>Read RFC 5681 §3, RFC 6582 §3.2 and RFC 6928 §2 first, then RFC 6937 §3, RFC 4015 §2 and RFC 7661 §4.
 *
 * <p>Choices where the RFCs leave room:
 * <ul>
 *   <li>{@code recover} holds SND.NXT (as FreeBSD's snd_recover), so "the ACK covers more than recover"
 *   (RFC 6582 §3.2 step 2, which spells it ack_number - 1 &gt; recover with recover the highest octet sent) is
 *   SEG.ACK &gt; recover, and a full ACK (step 5, "acknowledges all of the data up to and including recover") is
 *   SEG.ACK &gt;= recover. Before any loss there is no recover and every third duplicate ACK qualifies: the same as
 *   recover = ISS (step 1).</li>
 *   <li>That guard is NewReno's, for recovery without SACK (as FreeBSD applies it): RFC 6675 §5 has none, and a SACK
 *   recovery may begin as soon as the last one ended, even at an ACK of exactly its RecoveryPoint; only after a
 *   retransmission timeout does a new one wait until the ACK reaches the RecoveryPoint the timeout set (SND.MAX then,
 *   §5.1: "HighACK is greater than or equal to the new value of RecoveryPoint"). Needless retransmissions, the
 *   guard's reason, bring D-SACKs with SACK, not duplicate ACKs.</li>
 *   <li>A full ACK sets cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), option (1) of RFC 6582 §3.2
 *   step 5, which avoids a burst when little is outstanding.</li>
 *   <li>A partial ACK never deflates cwnd below SMSS (the RFC does not say; a window below one segment would
 *   stall the retransmissions recovery needs).</li>
 *   <li>With Proportional Rate Reduction (RFC 6937 §3, {@link ProportionalRateReduction}) the sender reports every
 *   ACK of a recovery ({@link #onRecoveryAck}) and every segment sent ({@link #onDataSent}); cwnd is then pipe +
 *   sndcnt and RFC 5681's inflation and RFC 6582's deflation are skipped. RecoverFS is the FlightSize recovery began
 *   with; the full ACK still sets RFC 6582's option (1).</li>
 *   <li>cwnd is capped at {@link NewReno#MAX_CWND} so the int arithmetic cannot overflow.</li>
 * </ul>
 * Owned by the stack thread; allocates nothing after construction.
 */
abstract class AbstractCongestionControl implements CongestionControl
{
    /** 0: RFC 6928; otherwise IW = this many segments. */
    private final int initialWindowSegments;
    private Listener listener;

    protected int smss;
    /** Initial window in bytes for this MSS; also the restart window's bound (RFC 5681 §4.1). */
    protected int initialWindow;
    /** Always in [smss, MAX_CWND] after init. */
    protected int cwnd;
    /** Integer.MAX_VALUE until the first loss (or, for CUBIC, a HyStart++ exit), then at least 2 * smss. */
    protected int ssthresh;
    protected boolean inRecovery;
    /** RFC 6582: SND.NXT when fast retransmit or the last timeout happened; valid when recoverValid. */
    private int recover;
    private boolean recoverValid;
    /** {@code recover} was set by a timeout (RFC 6675 §5.1's RecoveryPoint = HighData), not by a recovery. */
    private boolean recoverFromTimeout;
    /** A retransmission timeout happened and no new data has been acknowledged since. */
    protected boolean timedOutSinceAck;
    /** RFC 6937 state of the current recovery. */
    private final ProportionalRateReduction prr = new ProportionalRateReduction();
    /** The sender paces this recovery with PRR ({@link #onRecoveryAck} was called): no inflation or deflation. */
    private boolean prrEngaged;

    // --- the window before the last reduction, for undoing it (RFC 4015 §2, RFC 9438 §4.9)
    private long reductions;
    private boolean undoable;
    private int priorCwnd;
    /** RFC 4015 §2 step 1's pipe_prev: max(FlightSize, ssthresh) before the reduction. */
    private int pipePrev;

    // --- RFC 7661 congestion window validation
    private final CongestionWindowValidation cwv = new CongestionWindowValidation();
    private boolean windowValidation;
    /** SRTT from the last RTT sample (RFC 6298 §2); 0 before one. */
    protected long srttNs;
    /** In the non-validated phase at the last ACK (RFC 7661 §4.3). */
    private boolean nonValidated;
    /** RFC 7661 §4.4.1: the current recovery began in the non-validated phase; LossFlightSize, pipeACK and R. */
    private boolean lossWhileNonValidated;
    private int lossFlightSize;
    private long lossPipeAck;
    private long retransmittedInRecovery;

    /**
     * @param initialWindowSegments IW in segments; 0 for RFC 6928's min(10 * MSS, max(2 * MSS, 14600)).
     */
    protected AbstractCongestionControl(final int initialWindowSegments)
    {
        if (initialWindowSegments < 0)
        {
            throw new IllegalArgumentException("initialWindowSegments must be >= 0: " + initialWindowSegments);
        }
        this.initialWindowSegments = initialWindowSegments;
    }

    /**
     * A congestion event (fast retransmit, or the start of SACK recovery): note what the algorithm needs from the
     * window before the cut (cwnd still holds it) and return the new ssthresh, at least 2 * SMSS.
     *
     * @param flightSize FlightSize when the loss was detected.
     */
    protected abstract int ssthreshOnLoss(int flightSize);

    /** The first retransmission timeout since new data was last acknowledged: as {@link #ssthreshOnLoss}. */
    protected abstract int ssthreshOnTimeout(int flightSize);

    /** The growth state (byte counting, CUBIC's epoch) is stale: recovery began or ended, a timeout, idle. */
    protected abstract void restartGrowth();

    /** {@link #init}: the subclass's own state starts over (cwnd and ssthresh are set already). */
    protected abstract void onInit();

    /** A reduction is about to change the window (cwnd is still the old one): save what an undo would restore. */
    protected void saveBeforeReduction()
    {
    }

    /** {@link #undoReduction}: restore what {@link #saveBeforeReduction} saved. */
    protected void restoreAfterUndo()
    {
    }

    @Override
    public final void listener(final Listener listener)
    {
        this.listener = listener;
    }

    /**
     * RFC 7661 congestion window validation: off (the default for an instance made directly) every ACK of new data
     * may grow cwnd, as in RFC 5681; {@link CongestionAlgorithm#create(TcpConfig)} sets it from the config.
     */
    public final void windowValidation(final boolean enabled)
    {
        windowValidation = enabled;
    }

    @Override
    public final void init(final int mss, final long nowNs)
    {
        if (mss <= 0)
        {
            throw new IllegalArgumentException("mss must be positive: " + mss);
        }
        smss = mss;
        initialWindow = NewReno.initialWindow(mss, initialWindowSegments);
        cwnd = initialWindow;
        ssthresh = Integer.MAX_VALUE; // RFC 5681 §3.1: initial ssthresh may be arbitrarily high
        inRecovery = false;
        recoverValid = false;         // RFC 6582 §3.2 step 1: recover = ISS, below any ACK of data
        timedOutSinceAck = false;
        undoable = false;
        cwv.reset(nowNs);
        nonValidated = false;
        lossWhileNonValidated = false;
        onInit();
        notify(REASON_INIT, nowNs);
    }

    @Override
    public final void onSynRetransmitted(final long nowNs)
    {
        // RFC 6928 §2 / RFC 5681 §3.1: after a lost SYN or SYN-ACK the initial window is one segment
        cwnd = smss;
        notify(REASON_SYN_LOSS, nowNs);
    }

    @Override
    public final int smss()
    {
        return smss;
    }

    @Override
    public final int cwnd()
    {
        return cwnd;
    }

    @Override
    public final int ssthresh()
    {
        return ssthresh;
    }

    @Override
    public final boolean inRecovery()
    {
        return inRecovery;
    }

    /** RFC 6582 recover: SND.NXT at the last fast retransmit or timeout; meaningful only after a loss. */
    public final int recover()
    {
        return recover;
    }

    @Override
    public final boolean onThirdDuplicateAck(final int ack, final int flightSize, final int sndNxt, final long nowNs)
    {
        if (recoverValid && !SeqNum.gt(ack, recover))
        {
            return false; // RFC 6582 §3.2 step 2: the ACK does not cover more than recover
        }
        if (!enterRecovery(ack, flightSize, sndNxt, nowNs))
        {
            return false;
        }
        cwnd = (int)Math.min((long)ssthresh + 3L * smss, NewReno.MAX_CWND); // RFC 5681 §3.2 step 3
        notify(REASON_FAST_RETRANSMIT, nowNs);
        return true;
    }

    /**
     * RFC 6675 §5 step 4.2: cwnd = ssthresh, no inflation (pipe counts what left the network); no RFC 6582 guard, but
     * none before the ACK reaches the RecoveryPoint of a timeout (§5.1).
     */
    @Override
    public final boolean onSackRecoveryStart(final int ack, final int flightSize, final int sndNxt, final long nowNs)
    {
        if (recoverValid && recoverFromTimeout && SeqNum.lt(ack, recover))
        {
            return false; // RFC 6675 §5.1: HighACK below the RecoveryPoint the timeout set
        }
        if (!enterRecovery(ack, flightSize, sndNxt, nowNs))
        {
            return false;
        }
        cwnd = ssthresh;
        notify(REASON_FAST_RETRANSMIT, nowNs);
        return true;
    }

    /** The part of a recovery's start both ways share; false when already in recovery. */
    private boolean enterRecovery(final int ack, final int flightSize, final int sndNxt, final long nowNs)
    {
        if (inRecovery)
        {
            return false;
        }
        saveForUndo(flightSize);
        lossWhileNonValidated = nonValidated;  // RFC 7661 §4.4.1
        lossFlightSize = flightSize;
        lossPipeAck = Math.max(cwv.pipeAck(srttNs, nowNs), 0);
        retransmittedInRecovery = 0;
        ssthresh = ssthreshOnLoss(flightSize); // RFC 5681 §3.2 step 2 (equation 4), RFC 9438 §4.6
        recover = sndNxt;                      // RFC 6582 §3.2 step 3: record the highest sequence sent
        recoverValid = true;
        recoverFromTimeout = false;
        restartGrowth();
        inRecovery = true;
        prr.start(flightSize);                 // RFC 6937 §3: RecoverFS = FlightSize
        prrEngaged = false;
        return true;
    }

    @Override
    public final void onDuplicateAckInRecovery(final long nowNs)
    {
        if (!inRecovery || prrEngaged)
        {
            return;
        }
        setCwnd((long)cwnd + smss); // RFC 5681 §3.2 step 4, RFC 6582 §3.2 step 4: inflate by SMSS
        notify(REASON_RECOVERY_INFLATE, nowNs);
    }

    @Override
    public final boolean isFullAck(final int ack)
    {
        return !recoverValid || SeqNum.ge(ack, recover); // RFC 6582 §3.2 step 5
    }

    @Override
    public void onPartialAck(final int bytesAcked, final long nowNs)
    {
        if (!inRecovery || bytesAcked <= 0)
        {
            return;
        }
        timedOutSinceAck = false;
        if (prrEngaged)
        {
            return; // RFC 6937: PRR sets the window on this ACK
        }
        // RFC 6582 §3.2 step 5: deflate by the new data acked, add back SMSS if at least SMSS was acked
        long next = (long)cwnd - bytesAcked;
        if (bytesAcked >= smss)
        {
            next += smss;
        }
        setCwnd(next);
        notify(REASON_PARTIAL_ACK, nowNs);
    }

    @Override
    public void onFullAck(final int flightSize, final long nowNs)
    {
        if (!inRecovery)
        {
            return;
        }
        timedOutSinceAck = false;
        // RFC 6582 §3.2 step 5 option (1): cwnd = min (ssthresh, max (FlightSize, SMSS) + SMSS)
        setCwnd(Math.min(ssthresh, (long)Math.max(flightSize, smss) + smss));
        restartGrowth();
        inRecovery = false;
        notify(REASON_FULL_ACK, nowNs);
        if (lossWhileNonValidated)
        {
            // RFC 7661 §4.4.1: cwnd = (max(pipeACK, LossFlightSize) - R) / 2, R what recovery resent; ssthresh too
            lossWhileNonValidated = false;
            setCwnd((Math.max(lossPipeAck, lossFlightSize) - retransmittedInRecovery) / 2);
            ssthresh = Math.max(cwnd, 2 * smss);
            notify(REASON_NON_VALIDATED_LOSS, nowNs);
        }
        restartValidation(nowNs); // RFC 7661 §4.4.1: pipeACK is undefined after recovery
    }

    @Override
    public final void onRecoveryAck(final int deliveredData, final int pipe, final boolean conservative,
        final long nowNs)
    {
        if (!inRecovery)
        {
            return;
        }
        prrEngaged = true;
        // RFC 6937 §3: cwnd = pipe + sndcnt, so what the sender may add to the network on this ACK is sndcnt
        final int sndcnt = prr.onAck(deliveredData, Math.max(pipe, 0), ssthresh, smss, conservative);
        setCwnd((long)Math.max(pipe, 0) + sndcnt);
        notify(REASON_PRR, nowNs);
    }

    @Override
    public final void onDataSent(final int bytes, final boolean retransmission)
    {
        if (inRecovery)
        {
            prr.onSent(bytes); // RFC 6937 §3: prr_out += data sent
            if (retransmission)
            {
                retransmittedInRecovery += bytes; // RFC 7661 §4.4.1's R
            }
        }
    }

    @Override
    public final boolean nonValidated()
    {
        return nonValidated;
    }

    @Override
    public void onRttSample(final long rttNs, final long srttNs, final long nowNs)
    {
        this.srttNs = srttNs;
    }

    /**
     * RFC 7661 for an ACK of new data outside recovery: takes the pipeACK sample, follows the phase (a sender using its
     * window, FlightSize within an SMSS of cwnd, is not rate-limited), ends a non-validated period that ran its
     * course, and says whether the ACK may grow cwnd: not in the non-validated phase (§4.3: a window the sender does
     * not use does not grow).
     */
    protected final boolean windowMayGrow(final int bytesAcked, final int flightSizeBeforeAck, final long nowNs)
    {
        if (!windowValidation)
        {
            return true;
        }
        cwv.onAck(bytesAcked, srttNs, nowNs);
        final boolean phase = cwv.nonValidated(cwnd, (long)flightSizeBeforeAck + smss > cwnd, srttNs, nowNs);
        if (phase != nonValidated)
        {
            nonValidated = phase;
            notify(phase ? REASON_NON_VALIDATED : REASON_VALIDATED, nowNs);
        }
        if (!phase)
        {
            return true;
        }
        if (cwv.nonValidatedPeriodOver(nowNs))
        {
            // RFC 7661 §5 (the NVP's end): ssthresh = max(ssthresh, 3/4 cwnd), cwnd = max(cwnd / 2, IW)
            ssthresh = (int)Math.max(ssthresh, 3L * cwnd / 4);
            setCwnd(Math.max(cwnd / 2, initialWindow));
            cwv.restartNonValidatedPeriod(nowNs);
            notify(REASON_NON_VALIDATED_PERIOD_END, nowNs);
        }
        restartGrowth(); // growth resumes from where cwnd is once it is used (or validated) again
        return false;
    }

    private void restartValidation(final long nowNs)
    {
        cwv.reset(nowNs);
        nonValidated = false;
    }

    /** RFC 6937 RecoverFS, prr_delivered and prr_out of the current (or last) recovery. */
    final ProportionalRateReduction prr()
    {
        return prr;
    }

    @Override
    public final void onRetransmissionTimeout(final int flightSize, final int sndNxt, final long nowNs)
    {
        if (!timedOutSinceAck)
        {
            if (!inRecovery)
            {
                saveForUndo(flightSize); // inside a recovery the window before that recovery's cut stays saved
            }
            // RFC 5681 §3.1 equation 4, RFC 9438 §4.8; held when the segment timed out again (RFC 5681 §3.1)
            ssthresh = ssthreshOnTimeout(flightSize);
        }
        timedOutSinceAck = true;
        cwnd = smss;                     // RFC 5681 §3.1: loss window LW = 1 SMSS
        restartGrowth();
        lossWhileNonValidated = false;   // RFC 7661: a timeout's response is RFC 5681's
        restartValidation(nowNs);
        recover = sndNxt;                // RFC 6582 §3.2 step 6: record recover, leave fast recovery
        recoverValid = true;
        recoverFromTimeout = true;       // RFC 6675 §5.1: RecoveryPoint = HighData
        inRecovery = false;
        notify(REASON_RTO, nowNs);
    }

    /** RFC 4015 §2 step 1: before the first retransmission of an episode, save the window it is about to cut. */
    private void saveForUndo(final int flightSize)
    {
        priorCwnd = cwnd;
        pipePrev = Math.max(Math.max(flightSize, 0), ssthresh);
        undoable = true;
        reductions++;
        saveBeforeReduction();
    }

    @Override
    public final long reductions()
    {
        return reductions;
    }

    @Override
    public final boolean undoable()
    {
        return undoable;
    }

    /**
     * RFC 4015 §2 step 8: ssthresh = pipe_prev and cwnd = FlightSize + IW (the RFC's min(bytes_acked, IW) at its
     * largest), never below cwnd now nor above the cwnd the reduction cut, so slow start takes the window back to where
     * it was within a round trip instead of a burst of all of it; RFC 9438 §4.9: CUBIC's W_max, cwnd_prior and epoch
     * as they were ({@link #restoreAfterUndo}).
     */
    @Override
    public final boolean undoReduction(final int flightSize, final long nowNs)
    {
        if (!undoable || inRecovery)
        {
            return false;
        }
        undoable = false;
        timedOutSinceAck = false;
        ssthresh = Math.max(ssthresh, pipePrev);
        setCwnd(Math.max(cwnd, Math.min(priorCwnd, (long)Math.max(flightSize, 0) + initialWindow)));
        restoreAfterUndo();
        notify(REASON_UNDO, nowNs);
        return true;
    }

    @Override
    public final void onIdle(final long idleNs, final long rtoNs, final long nowNs)
    {
        // RFC 5681 §4.1: idle longer than RTO, cwnd = RW = min (IW, cwnd)
        if (idleNs > rtoNs && cwnd > initialWindow)
        {
            cwnd = initialWindow;
            restartGrowth();
            restartValidation(nowNs);
            notify(REASON_IDLE_RESTART, nowNs);
        }
    }

    protected final void setCwnd(final long value)
    {
        cwnd = (int)Math.max(smss, Math.min(value, NewReno.MAX_CWND));
    }

    protected final void notify(final String reason, final long nowNs)
    {
        final Listener l = listener;
        if (l != null)
        {
            l.onCongestionChange(reason, cwnd, ssthresh, nowNs);
        }
    }
}
