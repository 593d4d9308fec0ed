package io.tapstack.tcp;

/**
 * The retransmission timeout of one connection, computed as RFC 6298 specifies: a smoothed round-trip time
 * (SRTT), its mean deviation (RTTVAR), and RTO = SRTT + max(G, K * RTTVAR), with alpha = 1/8, beta = 1/4, K = 4.
 *
 * <p>Read RFC 6298 (all of it is short) and RFC 9293 §3.8.1 first. All times are nanoseconds.
 *
 * <p>Karn's rule (RFC 6298 §3, Karn and Partridge 1987) is the caller's job: take no sample from the ACK of a
 * segment that was retransmitted, because it is ambiguous which transmission it acknowledges (unless the RTT
 * comes from RFC 7323 timestamps, which are unambiguous). Because of that rule, a backed-off RTO stays backed
 * off until a segment sent once is acknowledged, as §5.7 intends; a sample ends the backoff, as the §2.3
 * formula recomputes RTO from SRTT and RTTVAR.
 *
 * <p>Deviation from the RFC, on purpose: the lower bound defaults to 200 ms, not the 1 s of RFC 6298 §2.4,
 * following Linux ({@code TCP_RTO_MIN}, include/net/tcp.h); RFC 6298 §2.4 itself notes that 1 s is
 * conservative. It is a constructor parameter.
 *
 * <p>Integer arithmetic: RTTVAR = (3 * RTTVAR + |SRTT - R'|) / 4 and SRTT = (7 * SRTT + R') / 8, truncated to
 * whole nanoseconds: exact for the usual microsecond-grained samples. Owned by the stack thread.
 */
public final class RttEstimator
{
    /** RFC 6298 §2.1: until a measurement is made, RTO is 1 second. */
    public static final long DEFAULT_INITIAL_RTO_NS = 1_000_000_000L;
    /** Linux's TCP_RTO_MIN (RFC 6298 §2.4 would say 1 s). */
    public static final long DEFAULT_MIN_RTO_NS = 200_000_000L;
    /** RFC 6298 §2.5: a maximum may be placed on RTO provided it is at least 60 seconds. */
    public static final long DEFAULT_MAX_RTO_NS = 60_000_000_000L;
    /** Clock granularity G (RFC 6298 §2, §4): our clock is finer, 1 ms keeps a floor on RTO - SRTT. */
    public static final long DEFAULT_GRANULARITY_NS = 1_000_000L;
    /** RFC 6298 §5.7: the RTO once the handshake completes after a SYN timed out. */
    public static final long SYN_TIMEOUT_RTO_NS = 3_000_000_000L;
    /** RFC 6298 §2: K = 4. */
    public static final int K = 4;

    private final long initialRtoNs;
    private final long minRtoNs;
    private final long maxRtoNs;
    private final long granularityNs;

    private boolean hasSample;
    /** Meaningful only when hasSample; never negative. */
    private long srttNs;
    private long rttvarNs;
    /** RTO before backoff: from the last sample, or the initial value; within [minRto, maxRto]. */
    private long baseRtoNs;
    /** Current RTO, backoff included; within [minRto, maxRto] (initial RTO aside, see constructor). */
    private long rtoNs;
    private int backoffs;

    /** RFC 6298 defaults, with Linux's 200 ms lower bound. */
    public RttEstimator()
    {
        this(DEFAULT_INITIAL_RTO_NS, DEFAULT_MIN_RTO_NS, DEFAULT_MAX_RTO_NS, DEFAULT_GRANULARITY_NS);
    }

    /**
     * @param initialRtoNs  RTO before any sample (RFC 6298 §2.1: 1 s).
     * @param minRtoNs      lower bound applied after each computation (RFC 6298 §2.4).
     * @param maxRtoNs      upper bound, also for backoff (RFC 6298 §2.5: at least 60 s).
     * @param granularityNs clock granularity G (RFC 6298 §2).
     */
    public RttEstimator(final long initialRtoNs, final long minRtoNs, final long maxRtoNs, final long granularityNs)
    {
        if (minRtoNs < 0 || maxRtoNs < minRtoNs || initialRtoNs <= 0 || granularityNs < 0)
        {
            throw new IllegalArgumentException("need 0 <= minRto <= maxRto, initialRto > 0, granularity >= 0");
        }
        this.initialRtoNs = initialRtoNs;
        this.minRtoNs = minRtoNs;
        this.maxRtoNs = maxRtoNs;
        this.granularityNs = granularityNs;
        reset();
    }

    /** Forgets all samples and backoff: RTO is the initial value again (RFC 6298 §2.1). */
    public void reset()
    {
        hasSample = false;
        srttNs = 0;
        rttvarNs = 0;
        baseRtoNs = clamp(initialRtoNs);
        rtoNs = baseRtoNs;
        backoffs = 0;
    }

    /**
     * Takes one round-trip measurement R (Karn's rule applied by the caller). Negative values are ignored.
     * Ends any backoff.
     */
    public void sample(final long rttNs)
    {
        if (rttNs < 0)
        {
            return;
        }
        if (!hasSample)
        {
            // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2
            srttNs = rttNs;
            rttvarNs = rttNs / 2;
            hasSample = true;
        }
        else
        {
            // RFC 6298 §2.3: RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'| first, with the old SRTT,
            // then SRTT <- (1 - alpha) * SRTT + alpha * R'
            rttvarNs = (3 * rttvarNs + Math.abs(srttNs - rttNs)) / 4;
            srttNs = (7 * srttNs + rttNs) / 8;
        }
        // RFC 6298 §2.2/§2.3: RTO <- SRTT + max(G, K * RTTVAR), then §2.4/§2.5 bounds
        baseRtoNs = clamp(srttNs + Math.max(granularityNs, K * rttvarNs));
        rtoNs = baseRtoNs;
        backoffs = 0;
    }

    /** The retransmission timeout to arm now. */
    public long rtoNs()
    {
        return rtoNs;
    }

    /** RFC 6298 §5.5: when the retransmission timer expires, RTO <- RTO * 2, up to the maximum (§2.5). */
    public void backoff()
    {
        rtoNs = rtoNs > maxRtoNs / 2 ? maxRtoNs : Math.min(rtoNs * 2, maxRtoNs);
        backoffs++;
    }

    /** Back to the RTO of the last computation (e.g. after an unambiguous ACK without a sample). */
    public void resetBackoff()
    {
        rtoNs = baseRtoNs;
        backoffs = 0;
    }

    /** Consecutive {@link #backoff()} calls since the last sample or reset (for user timeouts, R1/R2 limits). */
    public int backoffs()
    {
        return backoffs;
    }

    /**
     * RFC 6298 §5.7: if a SYN timed out and no RTT sample came from the handshake, data transmission starts
     * with RTO = 3 s (when the RTO in use is smaller). Call once the connection is established.
     */
    public void onEstablishedAfterSynTimeout()
    {
        if (!hasSample && baseRtoNs < SYN_TIMEOUT_RTO_NS)
        {
            baseRtoNs = Math.min(SYN_TIMEOUT_RTO_NS, maxRtoNs);
            rtoNs = baseRtoNs;
            backoffs = 0;
        }
    }

    public boolean hasSample()
    {
        return hasSample;
    }

    /** SRTT; 0 before the first sample. */
    public long srttNs()
    {
        return srttNs;
    }

    /** RTTVAR; 0 before the first sample. */
    public long rttvarNs()
    {
        return rttvarNs;
    }

    public long minRtoNs()
    {
        return minRtoNs;
    }

    public long maxRtoNs()
    {
        return maxRtoNs;
    }

    private long clamp(final long rto)
    {
        // RFC 6298 §2.4 (lower bound, 200 ms here as in Linux) and §2.5 (upper bound)
        return Math.min(Math.max(rto, minRtoNs), maxRtoNs);
    }
}
