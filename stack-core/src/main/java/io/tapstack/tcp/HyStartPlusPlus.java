package io.tapstack.tcp;

/**
 * HyStart++ (RFC 9406): leaves slow start when the minimum RTT of a round rises by a threshold, before the queue
 * it is filling overflows, through Conservative Slow Start (CSS) to congestion avoidance. Only the decisions live
 * here; the congestion control owns cwnd and ssthresh and applies the growth ({@link #inCss()}: divide by
 * {@link #CSS_GROWTH_DIVISOR}).
 *
 * <p>Read RFC 9406 §4 first. Rounds (§4.2, "windowEnd = SND.NXT", a round ends when windowEnd is acknowledged)
 * are counted in bytes of data acknowledged since {@link #reset()}: at the ACK that starts a round, windowEnd is
 * the bytes acknowledged so far plus those still outstanding (FlightSize less what this ACK covers), i.e. SND.MAX
 * in that count. The congestion control uses this only while ssthresh has its initial value (§4.3: HyStart++ for
 * the initial slow start only), before any loss, so SND.MAX and SND.NXT agree.
 *
 * <p>Units: bytes and nanoseconds. Without timestamps the connection times one segment per RTT (RFC 6298 §3), so
 * a round never has {@link #N_RTT_SAMPLE} samples and slow start ends only by loss, as without HyStart++.
 * Owned by the stack thread; allocates nothing.
 */
final class HyStartPlusPlus
{
    /** RFC 9406 §4.3: lower bound of RttThresh. */
    static final long MIN_RTT_THRESH_NS = 4_000_000L;
    /** RFC 9406 §4.3: upper bound of RttThresh. */
    static final long MAX_RTT_THRESH_NS = 16_000_000L;
    /** RFC 9406 §4.3: RttThresh is lastRoundMinRTT / MIN_RTT_DIVISOR within the bounds. */
    static final int MIN_RTT_DIVISOR = 8;
    /** RFC 9406 §4.3: RTT samples a round needs before its minimum is compared. */
    static final int N_RTT_SAMPLE = 8;
    /** RFC 9406 §4.3: CSS grows cwnd this many times slower than slow start. */
    static final int CSS_GROWTH_DIVISOR = 4;
    /** RFC 9406 §4.3: rounds of CSS before congestion avoidance. */
    static final int CSS_ROUNDS = 5;
    /** RFC 9406 §4.3: L, segments cwnd may grow by per ACK when not paced (we do not pace). */
    static final int L = 8;

    /** {@link #onAck} results. */
    static final int NO_CHANGE = 0;
    static final int ENTERED_CSS = 1;
    static final int RESUMED_SLOW_START = 2;
    static final int ENTER_CONGESTION_AVOIDANCE = 3;

    private static final long INFINITY = Long.MAX_VALUE;

    /** Data bytes acknowledged since reset: the sequence space rounds are measured in. */
    private long acked;
    /** End of the current round in {@code acked}'s space; meaningful when roundStarted. */
    private long windowEnd;
    private boolean roundStarted;
    private long lastRoundMinRttNs;
    private long currentRoundMinRttNs;
    private int rttSampleCount;
    private boolean inCss;
    /** RFC 9406 §4.2 cssBaselineMinRtt: the round minimum that sent us into CSS; INFINITY outside CSS. */
    private long cssBaselineMinRttNs;
    /** Rounds ended since CSS began. */
    private int cssRounds;

    HyStartPlusPlus()
    {
        reset();
    }

    /** RFC 9406 §4.2: the start of slow start: no round yet, no minimum RTTs. */
    void reset()
    {
        acked = 0;
        windowEnd = 0;
        roundStarted = false;
        lastRoundMinRttNs = INFINITY;
        currentRoundMinRttNs = INFINITY;
        rttSampleCount = 0;
        inCss = false;
        cssBaselineMinRttNs = INFINITY;
        cssRounds = 0;
    }

    /** In Conservative Slow Start: cwnd grows by a {@link #CSS_GROWTH_DIVISOR}th of slow start's increase. */
    boolean inCss()
    {
        return inCss;
    }

    /** The minimum RTT of the last complete round; {@link Long#MAX_VALUE} before one. */
    long lastRoundMinRttNs()
    {
        return lastRoundMinRttNs;
    }

    /** The minimum RTT of the current round so far; {@link Long#MAX_VALUE} without a sample. */
    long currentRoundMinRttNs()
    {
        return currentRoundMinRttNs;
    }

    /**
     * An ACK of new data in slow start or CSS.
     *
     * @param bytesAcked          data bytes it acknowledges.
     * @param flightSizeBeforeAck bytes outstanding before it.
     * @param rttNs               the RTT sample it gave, or negative for none.
     * @return {@link #NO_CHANGE}, {@link #ENTERED_CSS}, {@link #RESUMED_SLOW_START} or
     * {@link #ENTER_CONGESTION_AVOIDANCE} (the caller sets ssthresh = cwnd; this instance is done until reset).
     */
    int onAck(final int bytesAcked, final int flightSizeBeforeAck, final long rttNs)
    {
        acked += Math.max(bytesAcked, 0);
        if (!roundStarted || acked >= windowEnd)
        {
            // RFC 9406 §4.2: CSS_ROUNDS rounds of CSS complete: enter congestion avoidance
            if (roundStarted && inCss && ++cssRounds >= CSS_ROUNDS)
            {
                inCss = false;
                return ENTER_CONGESTION_AVOIDANCE;
            }
            // RFC 9406 §4.2: windowEnd acknowledged: a new round, windowEnd = SND.NXT
            roundStarted = true;
            windowEnd = acked + Math.max(0, flightSizeBeforeAck - bytesAcked);
            lastRoundMinRttNs = currentRoundMinRttNs;
            currentRoundMinRttNs = INFINITY;
            rttSampleCount = 0;
        }
        if (rttNs >= 0)
        {
            // RFC 9406 §4.2: keep track of the minimum observed RTT
            currentRoundMinRttNs = Math.min(currentRoundMinRttNs, rttNs);
            rttSampleCount++;
        }
        if (rttSampleCount < N_RTT_SAMPLE || currentRoundMinRttNs == INFINITY)
        {
            return NO_CHANGE;
        }
        if (!inCss)
        {
            if (lastRoundMinRttNs == INFINITY)
            {
                return NO_CHANGE;
            }
            // RFC 9406 §4.2: RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH))
            final long rttThreshNs = Math.max(MIN_RTT_THRESH_NS,
                Math.min(lastRoundMinRttNs / MIN_RTT_DIVISOR, MAX_RTT_THRESH_NS));
            if (currentRoundMinRttNs >= lastRoundMinRttNs + rttThreshNs)
            {
                cssBaselineMinRttNs = currentRoundMinRttNs; // RFC 9406 §4.2: exit slow start and enter CSS
                inCss = true;
                cssRounds = 0;
                return ENTERED_CSS;
            }
            return NO_CHANGE;
        }
        if (currentRoundMinRttNs < cssBaselineMinRttNs)
        {
            // RFC 9406 §4.2: the RTT increase was spurious: resume slow start
            cssBaselineMinRttNs = INFINITY;
            inCss = false;
            return RESUMED_SLOW_START;
        }
        return NO_CHANGE;
    }
}
