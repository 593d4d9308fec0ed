package io.tapstack.tcp;

/**
 * Standard TCP congestion control: slow start and congestion avoidance (RFC 5681 §3.1), fast retransmit and
 * fast recovery (RFC 5681 §3.2) with the NewReno modification for partial ACKs (RFC 6582 §3.2), the initial
 * window of RFC 6928 and the restart window after idle (RFC 5681 §4.1). The recovery and the windows it shares with
 * {@link Cubic} are in {@link AbstractCongestionControl}; what is NewReno's own is the window growth and the cut to
 * half the FlightSize.
 *
 * <p>Read RFC 5681 §2-4, RFC 6582 §3 and RFC 6928 §2 first.
 *
 * <p>Choices where the RFCs leave room (and those of {@link AbstractCongestionControl}):
 * <ul>
 *   <li>Slow start grows cwnd by min(N, SMSS) per ACK (RFC 5681 §3.1 equation 2), so a stretch ACK counts
 *   at most one segment; it runs while cwnd &lt; ssthresh (at equality, congestion avoidance).</li>
 *   <li>Congestion avoidance counts bytes (RFC 5681 §3.1, the method it recommends over equation 3): acked
 *   bytes accumulate and each time they reach cwnd, cwnd grows by SMSS and cwnd is subtracted. One SMSS per
 *   window of data, whatever the ACK pattern (delayed ACKs included); no integer division per ACK.</li>
 *   <li>With RFC 7661 on ({@link #windowValidation}), an ACK in the non-validated phase grows cwnd only if the
 *   sender was using it ({@code flightSizeBeforeAck} within an SMSS of cwnd).</li>
 * </ul>
 * Owned by the stack thread; allocates nothing after construction.
 */
public final class NewReno extends AbstractCongestionControl
{
    /** Upper bound on cwnd: 1 GiB, more than any window scale allows (RFC 7323 §2.3: 2^30). */
    public static final int MAX_CWND = 1 << 30;
    /** RFC 6928 §2: IW = min(10 * MSS, max(2 * MSS, 14600)). */
    public static final int RFC6928_BYTES = 14_600;

    /** Bytes acked in congestion avoidance not yet turned into window (RFC 5681 §3.1 byte counting). */
    private int bytesAckedCa;

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
        super(initialWindowSegments);
    }

    @Override
    protected void onInit()
    {
        bytesAckedCa = 0;
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
    public void onAck(final int bytesAcked, final int flightSizeBeforeAck, final long nowNs)
    {
        if (inRecovery || bytesAcked <= 0)
        {
            return; // in recovery the caller uses onPartialAck / onFullAck
        }
        timedOutSinceAck = false;
        if (!windowMayGrow(bytesAcked, flightSizeBeforeAck, nowNs))
        {
            return; // RFC 7661 §4.3
        }
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

    /** RFC 5681 §3.2 step 2, equation 4. */
    @Override
    protected int ssthreshOnLoss(final int flightSize)
    {
        return lossThreshold(flightSize);
    }

    /** RFC 5681 §3.1 equation 4. */
    @Override
    protected int ssthreshOnTimeout(final int flightSize)
    {
        return lossThreshold(flightSize);
    }

    @Override
    protected void restartGrowth()
    {
        bytesAckedCa = 0;
    }

    /** RFC 5681 §3.1 equation 4: ssthresh = max (FlightSize / 2, 2*SMSS). */
    private int lossThreshold(final int flightSize)
    {
        return Math.max(Math.max(flightSize, 0) / 2, 2 * smss);
    }
}
