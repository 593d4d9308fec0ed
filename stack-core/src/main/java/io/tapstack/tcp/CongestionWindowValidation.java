package io.tapstack.tcp;

/**
 * Congestion window validation for a rate-limited sender (RFC 7661): pipeACK, the most data the path acknowledged
 * within a round trip lately, against which cwnd is validated. Read RFC 7661 §3 (terms) and §4 first.
 *
 * <p>A pipeACK sample is the data acknowledged over one round trip (SRTT) outside loss recovery; a sample that took
 * longer (sparse ACKs) counts one SRTT's share of it. An ACK more than two round trips after the sample began ends an
 * idle spell: the sample is then what its round trip acknowledged before the spell, and that ACK opens the next one
 * (a slow reader or an application writing now and then acknowledges in bursts far apart). pipeACK is the largest
 * sample of the pipeACK sampling period, max(3 * SRTT, 1 s) (RFC 7661 §4.2), kept as the largest sample of each
 * quarter of it in four preallocated slots. It is undefined
 * until the first sample and again after loss recovery, which puts the sender in the validated phase (§4.1). The
 * non-validated phase is pipeACK &lt; cwnd / 2 (§4.3); it may last the non-validated period, five minutes (§5).
 *
 * <p>Owned by the stack thread (one per congestion control); allocates nothing after construction.
 */
final class CongestionWindowValidation
{
    /** RFC 7661 §5: the non-validated period (NVP), five minutes. */
    static final long NON_VALIDATED_PERIOD_NS = 300_000_000_000L;
    /** RFC 7661 §4.2: the pipeACK sampling period is at least one second. */
    static final long MIN_SAMPLING_PERIOD_NS = 1_000_000_000L;
    private static final int SLOTS = 4;

    /** Each slot: when its quarter of the sampling period began, and the largest sample in it. */
    private final long[] slotStartNs = new long[SLOTS];
    private final long[] slotMax = new long[SLOTS];
    private int slots;
    /** The sample being taken: since when, and the bytes acknowledged since; -1 when none. */
    private long sampleStartNs = -1;
    private long sampleBytes;
    /** When the sender was last in the validated phase (the NVP counts from then). */
    private long validatedNs;

    /** RFC 7661 §4.1 (and after recovery, a timeout or an idle restart): pipeACK undefined, validated. */
    void reset(final long nowNs)
    {
        slots = 0;
        sampleStartNs = -1;
        sampleBytes = 0;
        validatedNs = nowNs;
    }

    /** RFC 7661 §4.2: {@code bytesAcked} newly acknowledged outside loss recovery. */
    void onAck(final int bytesAcked, final long srttNs, final long nowNs)
    {
        if (srttNs <= 0)
        {
            return; // no round trip to measure over yet
        }
        if (sampleStartNs < 0)
        {
            sampleStartNs = nowNs;
            sampleBytes = 0;
            return; // the data this ACK covers was sent before the sample began
        }
        final long bytes = Math.max(bytesAcked, 0);
        final long elapsed = nowNs - sampleStartNs;
        if (elapsed > 2 * srttNs)
        {
            // RFC 7661 §4.2: the ACKs before this one came within an SRTT of the sample's start (a later one would
            // have ended it): that is its round trip's volume. Dropping it instead left pipeACK undefined, so
            // validated, for as long as the ACKs stayed far apart, and cwnd grew that the sender never used (§4.3).
            // This ACK's data was sent after the idle spell: it opens the next sample and counts there.
            push(sampleBytes, srttNs, nowNs);
            sampleStartNs = nowNs;
            sampleBytes = bytes;
            return;
        }
        sampleBytes += bytes;
        if (elapsed < srttNs)
        {
            return;
        }
        push(sampleBytes * srttNs / elapsed, srttNs, nowNs); // one round trip's share
        sampleStartNs = nowNs;
        sampleBytes = 0;
    }

    private void push(final long sample, final long srttNs, final long nowNs)
    {
        final long quarter = samplingPeriod(srttNs) / SLOTS;
        if (slots > 0 && nowNs - slotStartNs[slots - 1] < quarter)
        {
            slotMax[slots - 1] = Math.max(slotMax[slots - 1], sample);
            return;
        }
        if (slots == SLOTS)
        {
            System.arraycopy(slotStartNs, 1, slotStartNs, 0, SLOTS - 1);
            System.arraycopy(slotMax, 1, slotMax, 0, SLOTS - 1);
            slots--;
        }
        slotStartNs[slots] = nowNs;
        slotMax[slots] = sample;
        slots++;
    }

    /** RFC 7661 §4.2: pipeACK in bytes, or -1 while undefined; 0 when every sample is older than the period. */
    long pipeAck(final long srttNs, final long nowNs)
    {
        if (slots == 0)
        {
            return -1;
        }
        final long period = samplingPeriod(srttNs);
        long max = 0;
        for (int i = 0; i < slots; i++)
        {
            if (nowNs - slotStartNs[i] < period)
            {
                max = Math.max(max, slotMax[i]);
            }
        }
        return max;
    }

    /**
     * RFC 7661 §4.3: the non-validated phase, pipeACK &lt; cwnd / 2 (never while pipeACK is undefined), of a sender
     * that is not using its window ({@code cwndLimited}: it is then by definition not rate-limited, §3; a bulk sender
     * in slow start, whose pipeACK trails a window that doubles each round trip, stays validated).
     */
    boolean nonValidated(final int cwnd, final boolean cwndLimited, final long srttNs, final long nowNs)
    {
        final long pipeAck = pipeAck(srttNs, nowNs);
        final boolean nonValidated = !cwndLimited && pipeAck >= 0 && pipeAck < cwnd / 2;
        if (!nonValidated)
        {
            validatedNs = nowNs;
        }
        return nonValidated;
    }

    /** RFC 7661 §5: whether the sender has been in the non-validated phase for the whole NVP. */
    boolean nonValidatedPeriodOver(final long nowNs)
    {
        return nowNs - validatedNs > NON_VALIDATED_PERIOD_NS;
    }

    /** The NVP starts over (after its end's adjustment). */
    void restartNonValidatedPeriod(final long nowNs)
    {
        validatedNs = nowNs;
    }

    /** RFC 7661 §4.2: max(3 * SRTT, 1 s). */
    static long samplingPeriod(final long srttNs)
    {
        return Math.max(3 * srttNs, MIN_SAMPLING_PERIOD_NS);
    }
}
