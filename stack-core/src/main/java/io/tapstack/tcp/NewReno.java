package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;

/**
 * Standard TCP congestion control: slow start and congestion avoidance (RFC 5681 §3.1), fast retransmit and
 * fast recovery (RFC 5681 §3.2) with the NewReno modification for partial ACKs (RFC 6582 §3.2), the initial
 * window of RFC 6928 and the restart window after idle (RFC 5681 §4.1).
 *
 * <p>Read RFC 5681 §2-4, RFC 6582 §3 and RFC 6928 §2 first.
 *
 * <p>Choices where the RFCs leave room:
 * <ul>
 *   <li>Slow start grows cwnd by min(N, SMSS) per ACK (RFC 5681 §3.1 equation 2), so a stretch ACK counts
 *   at most one segment; it runs while cwnd &lt; ssthresh (at equality, congestion avoidance).</li>
 *   <li>Congestion avoidance counts bytes (RFC 5681 §3.1, the method it recommends over equation 3): acked
 *   bytes accumulate and each time they reach cwnd, cwnd grows by SMSS and cwnd is subtracted. One SMSS per
 *   window of data, whatever the ACK pattern (delayed ACKs included); no integer division per ACK.</li>
 *   <li>{@code recover} holds SND.NXT (as FreeBSD's snd_recover), so "the ACK covers more than recover"
 *   (RFC 6582 §3.2 step 2) is SEG.ACK &gt; recover, and a full ACK (step 5, "acknowledges all of the data
 *   up to and including recover" when recover is the last byte sent) is SEG.ACK &gt;= recover. Before any
 *   loss there is no recover and every third duplicate ACK qualifies: the same as recover = ISS (step 1).</li>
 *   <li>A full ACK sets cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), option (1) of RFC 6582 §3.2
 *   step 5, which avoids a burst when little is outstanding.</li>
 *   <li>A partial ACK never deflates cwnd below SMSS (the RFC does not say; a window below one segment would
 *   stall the retransmissions recovery needs).</li>
 *   <li>cwnd is capped at {@link #MAX_CWND} so the int arithmetic cannot overflow; no RFC 7661 check for an
 *   application-limited sender yet: {@code flightSizeBeforeAck} is accepted for that.</li>
 * </ul>
 * Owned by the stack thread; allocates nothing after construction.
 */
public final class NewReno implements CongestionControl
{
    /** Upper bound on cwnd: 1 GiB, more than any window scale allows (RFC 7323 §2.3: 2^30). */
    public static final int MAX_CWND = 1 << 30;
    /** RFC 6928 §2: IW = min(10 * MSS, max(2 * MSS, 14600)). */
    public static final int RFC6928_BYTES = 14_600;

    /** 0: RFC 6928; otherwise IW = this many segments. */
    private final int initialWindowSegments;
    private Listener listener;

    private int smss;
    /** Initial window in bytes for this MSS; also the restart window's bound (RFC 5681 §4.1). */
    private int initialWindow;
    /** Always in [smss, MAX_CWND] after init. */
    private int cwnd;
    /** Integer.MAX_VALUE until the first loss, then at least 2 * smss. */
    private int ssthresh;
    /** Bytes acked in congestion avoidance not yet turned into window (RFC 5681 §3.1 byte counting). */
    private int bytesAckedCa;
    private boolean inRecovery;
    /** RFC 6582: SND.NXT when fast retransmit or the last timeout happened; valid when recoverValid. */
    private int recover;
    private boolean recoverValid;
    /** A retransmission timeout happened and no new data has been acknowledged since. */
    private boolean timedOutSinceAck;

    /** RFC 6928 initial window. */
    public NewReno()
    {
        this(0);
    }

    /**
     * @param initialWindowSegments IW in segments; 0 for RFC 6928's min(10 * MSS, max(2 * MSS, 14600)).
     */
    public NewReno(final int initialWindowSegments)
    {
        if (initialWindowSegments < 0)
        {
            throw new IllegalArgumentException("initialWindowSegments must be >= 0: " + initialWindowSegments);
        }
        this.initialWindowSegments = initialWindowSegments;
    }

    @Override
    public void listener(final Listener listener)
    {
        this.listener = listener;
    }

    @Override
    public void init(final int mss, final long nowNs)
    {
        if (mss <= 0)
        {
            throw new IllegalArgumentException("mss must be positive: " + mss);
        }
        smss = mss;
        initialWindow = initialWindow(mss, initialWindowSegments);
        cwnd = initialWindow;
        ssthresh = Integer.MAX_VALUE; // RFC 5681 §3.1: initial ssthresh may be arbitrarily high
        bytesAckedCa = 0;
        inRecovery = false;
        recoverValid = false; // RFC 6582 §3.2 step 1: recover = ISS, below any ACK of data
        timedOutSinceAck = false;
        notify(REASON_INIT, nowNs);
    }

    /** The initial window in bytes for an MSS and a segment override (0: RFC 6928). */
    public static int initialWindow(final int mss, final int segments)
    {
        if (segments > 0)
        {
            return (int)Math.min((long)segments * mss, MAX_CWND);
        }
        // RFC 6928 §2: IW = min (10*MSS, max (2*MSS, 14600))
        return (int)Math.min(10L * mss, Math.max(2L * mss, RFC6928_BYTES));
    }

    @Override
    public void onSynRetransmitted(final long nowNs)
    {
        // RFC 6928 §2 / RFC 5681 §3.1: after a lost SYN or SYN-ACK the initial window is one segment
        cwnd = smss;
        notify(REASON_SYN_LOSS, nowNs);
    }

    @Override
    public int smss()
    {
        return smss;
    }

    @Override
    public int cwnd()
    {
        return cwnd;
    }

    @Override
    public int ssthresh()
    {
        return ssthresh;
    }

    @Override
    public boolean inRecovery()
    {
        return inRecovery;
    }

    /** RFC 6582 recover: SND.NXT at the last fast retransmit or timeout; meaningful only after a loss. */
    public int recover()
    {
        return recover;
    }

    @Override
    public void onAck(final int bytesAcked, final int flightSizeBeforeAck, final long nowNs)
    {
        if (inRecovery || bytesAcked <= 0)
        {
            return; // in recovery the caller uses onPartialAck / onFullAck
        }
        timedOutSinceAck = false;
        if (cwnd < ssthresh)
        {
            // RFC 5681 §3.1 equation 2: cwnd += min (N, SMSS)
            setCwnd((long)cwnd + Math.min(bytesAcked, smss));
            bytesAckedCa = 0;
            notify(REASON_SLOW_START, nowNs);
        }
        else
        {
            // RFC 5681 §3.1 byte counting: when bytes_acked >= cwnd, cwnd += SMSS and bytes_acked -= cwnd
            bytesAckedCa = (int)Math.min((long)bytesAckedCa + bytesAcked, MAX_CWND);
            if (bytesAckedCa >= cwnd)
            {
                bytesAckedCa -= cwnd;
                setCwnd((long)cwnd + smss);
                notify(REASON_CONGESTION_AVOIDANCE, nowNs);
            }
        }
    }

    @Override
    public boolean onThirdDuplicateAck(final int ack, final int flightSize, final int sndNxt, final long nowNs)
    {
        if (inRecovery)
        {
            return false;
        }
        if (recoverValid && !SeqNum.gt(ack, recover))
        {
            return false; // RFC 6582 §3.2 step 2: the ACK does not cover more than recover
        }
        ssthresh = lossThreshold(flightSize); // RFC 5681 §3.2 step 2, equation 4
        recover = sndNxt;                     // RFC 6582 §3.2 step 3: record the highest sequence sent
        recoverValid = true;
        cwnd = (int)Math.min((long)ssthresh + 3L * smss, MAX_CWND); // RFC 5681 §3.2 step 3
        bytesAckedCa = 0;
        inRecovery = true;
        notify(REASON_FAST_RETRANSMIT, nowNs);
        return true;
    }

    /** RFC 6675 §5 step 4.2: cwnd = ssthresh = FlightSize / 2 (RFC 5681 equation 4), with RFC 6582's guard. */
    @Override
    public boolean onSackRecoveryStart(final int ack, final int flightSize, final int sndNxt, final long nowNs)
    {
        if (inRecovery || recoverValid && !SeqNum.gt(ack, recover))
        {
            return false; // RFC 6582 §3.2 step 2, as for the third duplicate ACK
        }
        ssthresh = lossThreshold(flightSize);
        recover = sndNxt;
        recoverValid = true;
        cwnd = ssthresh; // RFC 6675 §5 (4.2): no inflation, pipe counts what left the network
        bytesAckedCa = 0;
        inRecovery = true;
        notify(REASON_FAST_RETRANSMIT, nowNs);
        return true;
    }

    @Override
    public void onDuplicateAckInRecovery(final long nowNs)
    {
        if (!inRecovery)
        {
            return;
        }
        setCwnd((long)cwnd + smss); // RFC 5681 §3.2 step 4, RFC 6582 §3.2 step 4: inflate by SMSS
        notify(REASON_RECOVERY_INFLATE, nowNs);
    }

    @Override
    public boolean isFullAck(final int ack)
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
        bytesAckedCa = 0;
        inRecovery = false;
        notify(REASON_FULL_ACK, nowNs);
    }

    @Override
    public void onRetransmissionTimeout(final int flightSize, final int sndNxt, final long nowNs)
    {
        if (!timedOutSinceAck)
        {
            // RFC 5681 §3.1 equation 4; ssthresh is held when the segment timed out again (same section)
            ssthresh = lossThreshold(flightSize);
        }
        timedOutSinceAck = true;
        cwnd = smss;                     // RFC 5681 §3.1: loss window LW = 1 SMSS
        bytesAckedCa = 0;
        recover = sndNxt;                // RFC 6582 §3.2 step 6: record recover, leave fast recovery
        recoverValid = true;
        inRecovery = false;
        notify(REASON_RTO, nowNs);
    }

    @Override
    public void onIdle(final long idleNs, final long rtoNs, final long nowNs)
    {
        // RFC 5681 §4.1: idle longer than RTO, cwnd = RW = min (IW, cwnd)
        if (idleNs > rtoNs && cwnd > initialWindow)
        {
            cwnd = initialWindow;
            bytesAckedCa = 0;
            notify(REASON_IDLE_RESTART, nowNs);
        }
    }

    /** RFC 5681 §3.1 equation 4: ssthresh = max (FlightSize / 2, 2*SMSS). */
    private int lossThreshold(final int flightSize)
    {
        return Math.max(Math.max(flightSize, 0) / 2, 2 * smss);
    }

    private void setCwnd(final long value)
    {
        cwnd = (int)Math.max(smss, Math.min(value, MAX_CWND));
    }

    private void notify(final String reason, final long nowNs)
    {
        final Listener l = listener;
        if (l != null)
        {
            l.onCongestionChange(reason, cwnd, ssthresh, nowNs);
        }
    }
}
