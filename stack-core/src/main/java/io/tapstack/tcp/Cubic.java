package io.tapstack.tcp;

/**
 * CUBIC congestion control (RFC 9438) with HyStart++ for the initial slow start (RFC 9406). Loss recovery is
 * the standard one CUBIC runs on (RFC 9438 §4.6 leaves it to RFC 5681 / RFC 6582), shared with {@link NewReno} in
 * {@link AbstractCongestionControl}: fast retransmit, fast recovery with NewReno partial ACKs and the initial and
 * restart windows; what differs is
 * the window CUBIC sets on a congestion event (beta_cubic = 0.7 instead of 1/2) and how it grows in congestion
 * avoidance: W_cubic(t) = C * (t - K)^3 + W_max, never slower than the Reno-friendly estimate W_est.
 *
 * <p>Read RFC 9438 §4 and RFC 9406 §4 first, then RFC 5681 §3 and RFC 6582 §3.2 for recovery.
 *
 * <p>Units: cwnd, ssthresh and the RFC's window variables (W_max, cwnd_epoch, cwnd_prior, W_est) are bytes here;
 * the RFC counts segments, so W_cubic in bytes is SMSS * C * (t - K)^3 + W_max with t and K in seconds and
 * K = cbrt((W_max - cwnd_epoch) / (SMSS * C)) (§4.2). The window variables are doubles (no allocation, no
 * overflow: cwnd is capped at {@link NewReno#MAX_CWND}); the fraction of a byte each ACK adds in the concave and
 * convex regions (§4.4-4.5) is carried, not lost. Times are nanoseconds from the injected nowNs; RTT is the
 * connection's SRTT (§4.2, given by {@link #onRttSample}), 0 before the first sample.
 *
 * <p>Choices where the RFCs leave room:
 * <ul>
 *   <li>Fast convergence (§4.7) is on. A congestion event found spurious (§4.9; by D-SACKs or timestamps, see
 *   {@link SpuriousRecoveryUndo}) restores W_max, cwnd_prior and the epoch saved before it.</li>
 *   <li>A congestion-avoidance epoch starts at the first ACK of new data with cwnd &gt;= ssthresh after a loss,
 *   a timeout, an idle restart or the end of HyStart++ (as Linux's epoch_start), so slow start back up to
 *   ssthresh after recovery is not counted in t.</li>
 *   <li>After a timeout (§4.8) or a HyStart++ exit without loss (§4.10) the next epoch has K = 0 and W_max =
 *   cwnd_epoch, and W_est starts at cwnd_epoch.</li>
 *   <li>HyStart++ grows cwnd by min(N, L * SMSS), L = 8 (RFC 9406 §4.2); slow starts after a loss use RFC 5681's
 *   min(N, SMSS), as {@link NewReno} does (RFC 9406 §4.3: HyStart++ for the initial slow start only).</li>
 *   <li>RFC 7661 (§5.8), when on, as in {@link AbstractCongestionControl}: a window not used does not grow, and a
 *   growth stage it stops starts a new epoch when growth resumes.</li>
 * </ul>
 * Owned by the stack thread; allocates nothing after construction.
 */
public final class Cubic extends AbstractCongestionControl
{
    /** RFC 9438 §4.2: C, in segments per second cubed. */
    public static final double C = 0.4;
    /** RFC 9438 §4.6: the multiplicative decrease factor beta_cubic. */
    public static final double BETA_CUBIC = 0.7;
    /** RFC 9438 §4.3: alpha_cubic = 3 * (1 - beta_cubic) / (1 + beta_cubic), Reno-friendly additive increase. */
    public static final double ALPHA_CUBIC = 3 * (1 - BETA_CUBIC) / (1 + BETA_CUBIC);
    /** RFC 9438 §4.4: the target window is at most 1.5 times cwnd. */
    private static final double MAX_TARGET_FACTOR = 1.5;
    private static final double NS_PER_SECOND = 1e9;

    /** Null when HyStart++ is off: standard slow start (RFC 5681 §3.1). */
    private final HyStartPlusPlus hyStart;
    /** Bytes acked in CSS not yet turned into window (a quarter of them grow cwnd, RFC 9406 §4.2). */
    private int cssBytes;

    // --- RFC 9438 §4.1.2 state, bytes and nanoseconds
    /** W_max: the window just before the last reduction, after fast convergence (§4.7). */
    private double wMax;
    /** The next epoch takes W_max = cwnd_epoch and K = 0 (§4.8 after a timeout, §4.10 after HyStart++). */
    private boolean wMaxFromEpoch;
    /** cwnd_prior: cwnd before the last reduction; W_est reaching it switches alpha to 1 (§4.3). */
    private double cwndPrior;
    /** Whether t_epoch, cwnd_epoch, K and W_est below belong to the current congestion-avoidance stage. */
    private boolean epochValid;
    private long tEpochNs;
    private double cwndEpoch;
    /** K in seconds (§4.2); negative when cwnd_epoch is above W_max. */
    private double k;
    /** W_est (§4.3). */
    private double wEst;
    /** Bytes of increase earned in the concave or convex region, below one byte, not yet in cwnd. */
    private double increaseCarry;
    /** The RTT sample of the ACK about to be passed to onAck, or -1. */
    private long pendingRttNs = -1;
    // --- RFC 9438 §4.9: the state before the last reduction, restored if it proves spurious
    private double priorWMax;
    private boolean priorWMaxFromEpoch;
    private double priorCwndPrior;
    private boolean priorEpochValid;
    private long priorTEpochNs;
    private double priorCwndEpoch;
    private double priorK;
    private double priorWEst;
    /** Epochs started (trace REASON_CUBIC_EPOCH); HyStart++ exits to CSS and to congestion avoidance. */
    private long epochs;
    private long hyStartCssEntries;
    private long hyStartExits;

    /** RFC 6928 initial window, HyStart++ on. */
    public Cubic()
    {
        this(0);
    }

    /**
     * @param initialWindowSegments IW in segments; 0 for RFC 6928's min(10 * MSS, max(2 * MSS, 14600)).
     */
    public Cubic(final int initialWindowSegments)
    {
        this(initialWindowSegments, true);
    }

    /**
     * @param initialWindowSegments IW in segments; 0 for RFC 6928's.
     * @param hyStart               HyStart++ (RFC 9406) in the initial slow start; off: RFC 5681 slow start.
     */
    public Cubic(final int initialWindowSegments, final boolean hyStart)
    {
        super(initialWindowSegments);
        this.hyStart = hyStart ? new HyStartPlusPlus() : null;
    }

    @Override
    protected void onInit()
    {
        cssBytes = 0;
        wMax = 0;
        wMaxFromEpoch = true;         // RFC 9438 §4.10: no W_max before the first loss
        cwndPrior = 0;
        epochValid = false;
        increaseCarry = 0;
        pendingRttNs = -1;
        priorWMax = 0;
        priorEpochValid = false;
        if (hyStart != null)
        {
            hyStart.reset();
        }
    }

    /** W_max in bytes (RFC 9438 §4.1.2); 0 before the first congestion event. */
    public double wMax()
    {
        return wMax;
    }

    /** K in seconds for the current epoch (RFC 9438 §4.2); meaningful once an epoch began. */
    public double k()
    {
        return k;
    }

    /** W_est in bytes for the current epoch (RFC 9438 §4.3). */
    public double wEst()
    {
        return wEst;
    }

    /** Congestion-avoidance epochs begun since construction. */
    public long epochs()
    {
        return epochs;
    }

    /** Times HyStart++ left slow start for CSS (RFC 9406 §4.2) since construction. */
    public long hyStartCssEntries()
    {
        return hyStartCssEntries;
    }

    /** Times HyStart++ ended slow start without loss (CSS to congestion avoidance) since construction. */
    public long hyStartExits()
    {
        return hyStartExits;
    }

    /** Whether HyStart++ is in Conservative Slow Start. */
    public boolean inCss()
    {
        return hyStart != null && ssthresh == Integer.MAX_VALUE && hyStart.inCss();
    }

    /**
     * W_cubic(t) in bytes (RFC 9438 §4.2, figure 1) for the current epoch.
     *
     * @param tNs time since the epoch began.
     */
    public double wCubic(final long tNs)
    {
        final double d = tNs / NS_PER_SECOND - k;
        return C * d * d * d * smss + wMax;
    }

    @Override
    public void onRttSample(final long rttNs, final long srttNs, final long nowNs)
    {
        super.onRttSample(rttNs, srttNs, nowNs);
        this.pendingRttNs = rttNs;
    }

    @Override
    public void onAck(final int bytesAcked, final int flightSizeBeforeAck, final long nowNs)
    {
        final long rttNs = pendingRttNs;
        pendingRttNs = -1;
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
            slowStart(bytesAcked, flightSizeBeforeAck, rttNs, nowNs);
        }
        else
        {
            congestionAvoidance(bytesAcked, nowNs);
        }
    }

    private void slowStart(final int bytesAcked, final int flightSizeBeforeAck, final long rttNs, final long nowNs)
    {
        if (hyStart == null || ssthresh != Integer.MAX_VALUE)
        {
            // RFC 5681 §3.1 equation 2: cwnd += min (N, SMSS)
            setCwnd((long)cwnd + Math.min(bytesAcked, smss));
            notify(REASON_SLOW_START, nowNs);
            return;
        }
        // RFC 9406 §4.2: cwnd += min(N, L * SMSS), divided by CSS_GROWTH_DIVISOR in CSS
        final int increase = (int)Math.min(bytesAcked, (long)HyStartPlusPlus.L * smss);
        if (hyStart.inCss())
        {
            cssBytes += increase;
            setCwnd((long)cwnd + cssBytes / HyStartPlusPlus.CSS_GROWTH_DIVISOR);
            cssBytes %= HyStartPlusPlus.CSS_GROWTH_DIVISOR;
        }
        else
        {
            setCwnd((long)cwnd + increase);
        }
        switch (hyStart.onAck(bytesAcked, flightSizeBeforeAck, rttNs))
        {
            case HyStartPlusPlus.ENTERED_CSS:
                hyStartCssEntries++;
                cssBytes = 0;
                notify(REASON_HYSTART_CSS, nowNs);
                break;
            case HyStartPlusPlus.RESUMED_SLOW_START:
                notify(REASON_HYSTART_SLOW_START, nowNs);
                break;
            case HyStartPlusPlus.ENTER_CONGESTION_AVOIDANCE:
                // RFC 9406 §4.2: ssthresh = cwnd; RFC 9438 §4.10: cwnd_prior = cwnd, W_max from the epoch
                hyStartExits++;
                ssthresh = Math.max(cwnd, 2 * smss);
                cwndPrior = cwnd;
                wMaxFromEpoch = true;
                epochValid = false;
                notify(REASON_HYSTART_EXIT, nowNs);
                break;
            default:
                notify(REASON_SLOW_START, nowNs);
        }
    }

    private void congestionAvoidance(final int bytesAcked, final long nowNs)
    {
        if (!epochValid)
        {
            startEpoch(nowNs);
        }
        final long tNs = nowNs - tEpochNs;
        // RFC 9438 §4.3: W_est += alpha_cubic * segments_acked / cwnd; alpha_cubic = 1 once W_est >= cwnd_prior
        final double alpha = wEst >= cwndPrior ? 1.0 : ALPHA_CUBIC;
        wEst += alpha * bytesAcked * smss / cwnd;
        final long before = cwnd;
        if (wCubic(tNs) < wEst)
        {
            // RFC 9438 §4.3: Reno-friendly region: cwnd = W_est
            setCwnd((long)wEst);
            increaseCarry = 0;
        }
        else
        {
            // RFC 9438 §4.4-4.5: target = W_cubic(t + RTT) within [cwnd, 1.5 cwnd]; cwnd += (target - cwnd) / cwnd
            // per segment acknowledged, i.e. (target - cwnd) * bytes_acked / cwnd in bytes
            final double target = Math.min(Math.max(wCubic(tNs + srttNs), cwnd), MAX_TARGET_FACTOR * cwnd);
            increaseCarry += (target - cwnd) * bytesAcked / cwnd;
            final long whole = (long)increaseCarry;
            increaseCarry -= whole;
            setCwnd(cwnd + whole);
        }
        if (cwnd != before)
        {
            notify(REASON_CONGESTION_AVOIDANCE, nowNs);
        }
    }

    /** RFC 9438 §4.2: t_epoch = now, cwnd_epoch = cwnd, K from W_max; §4.3: W_est = cwnd_epoch. */
    private void startEpoch(final long nowNs)
    {
        epochValid = true;
        epochs++;
        tEpochNs = nowNs;
        cwndEpoch = cwnd;
        wEst = cwndEpoch;
        increaseCarry = 0;
        if (wMaxFromEpoch)
        {
            // RFC 9438 §4.8 (after a timeout) and §4.10 (HyStart++ exit): K = 0, W_max = cwnd_epoch
            wMax = cwndEpoch;
            k = 0;
            wMaxFromEpoch = false;
        }
        else
        {
            // RFC 9438 §4.2 figure 2: K = cubic_root((W_max - cwnd_epoch) / C), segments
            k = Math.cbrt((wMax - cwndEpoch) / smss / C);
        }
        notify(REASON_CUBIC_EPOCH, nowNs);
    }

    /** RFC 9438 §4.6 (figure 5) with §4.7 fast convergence: W_max, cwnd_prior and ssthresh on a congestion event. */
    @Override
    protected int ssthreshOnLoss(final int flightSize)
    {
        // RFC 9438 §4.7: fast convergence: release bandwidth when W_max is falling
        wMax = cwnd < wMax ? cwnd * (1 + BETA_CUBIC) / 2 : cwnd;
        wMaxFromEpoch = false;
        cwndPrior = cwnd;
        cssBytes = 0;
        return reducedThreshold(flightSize);
    }

    /**
     * RFC 9438 §4.8: ssthresh by beta_cubic as in §4.6; the next epoch starts with K = 0 and W_max = cwnd_epoch.
     */
    @Override
    protected int ssthreshOnTimeout(final int flightSize)
    {
        cwndPrior = cwnd;
        wMaxFromEpoch = true;
        cssBytes = 0;
        return reducedThreshold(flightSize);
    }

    /** RFC 9438 §4.6: ssthresh = flight_size * beta_cubic, at least 2 SMSS. */
    private int reducedThreshold(final int flightSize)
    {
        return (int)Math.max((long)(Math.max(flightSize, 0) * BETA_CUBIC), 2L * smss);
    }

    /** RFC 9438 §4.9: W_max, cwnd_prior and the epoch (t_epoch, cwnd_epoch, K, W_est) before a congestion event. */
    @Override
    protected void saveBeforeReduction()
    {
        priorWMax = wMax;
        priorWMaxFromEpoch = wMaxFromEpoch;
        priorCwndPrior = cwndPrior;
        priorEpochValid = epochValid;
        priorTEpochNs = tEpochNs;
        priorCwndEpoch = cwndEpoch;
        priorK = k;
        priorWEst = wEst;
    }

    /** RFC 9438 §4.9: a spurious congestion event: the window function continues as if it had not happened. */
    @Override
    protected void restoreAfterUndo()
    {
        wMax = priorWMax;
        wMaxFromEpoch = priorWMaxFromEpoch;
        cwndPrior = priorCwndPrior;
        epochValid = priorEpochValid;
        tEpochNs = priorTEpochNs;
        cwndEpoch = priorCwndEpoch;
        k = priorK;
        wEst = priorWEst;
    }

    /** A new congestion-avoidance epoch when avoidance resumes (RFC 9438 §4.2's t_epoch, as Linux's epoch_start). */
    @Override
    protected void restartGrowth()
    {
        epochValid = false;
    }

    @Override
    public void onPartialAck(final int bytesAcked, final long nowNs)
    {
        pendingRttNs = -1;
        super.onPartialAck(bytesAcked, nowNs);
    }

    @Override
    public void onFullAck(final int flightSize, final long nowNs)
    {
        pendingRttNs = -1;
        super.onFullAck(flightSize, nowNs);
    }
}
