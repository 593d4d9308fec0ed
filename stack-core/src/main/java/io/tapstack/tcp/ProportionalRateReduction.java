package io.tapstack.tcp;

/**
 * The arithmetic of Proportional Rate Reduction (RFC 6937 §3): during fast recovery, how many bytes the sender may
 * send on each ACK (sndcnt), so that the data in flight falls smoothly from where it was when the loss was detected
 * to ssthresh, instead of stopping for half a window (RFC 5681's inflation) or going out in one burst (RFC 6675's
 * cwnd - pipe when many segments are SACKed at once). Read RFC 6937 §3 (the algorithm and its examples) first.
 *
 * <p>While pipe &gt; ssthresh the proportional part sends ssthresh / RecoverFS of what is delivered; once pipe is at
 * or below ssthresh a reduction bound lets it catch up towards ssthresh: PRR-SSRB (one segment more than was
 * delivered per ACK) normally, PRR-CRB (no more than was delivered: strict packet conservation) when the caller says
 * the ACK is not one that "indicates the recovery is in good progress without further losses" (§3).
 *
 * <p>All amounts are bytes; {@code prr_delivered} and {@code prr_out} are capped at 2^31 - 1 and multiplied in long
 * arithmetic, so nothing overflows. Owned by the stack thread; allocates nothing.
 */
final class ProportionalRateReduction
{
    /** RFC 6937 RecoverFS: FlightSize when recovery began (at least 1, so the division is defined). */
    private long recoverFs = 1;
    /** RFC 6937 prr_delivered: bytes delivered to the receiver since recovery began. */
    private long prrDelivered;
    /** RFC 6937 prr_out: bytes sent (new or retransmitted) since recovery began. */
    private long prrOut;

    /** RFC 6937 §3, at the start of recovery: prr_delivered = prr_out = 0, RecoverFS = FlightSize. */
    void start(final int flightSize)
    {
        recoverFs = Math.max(flightSize, 1);
        prrDelivered = 0;
        prrOut = 0;
    }

    /**
     * RFC 6937 §3, on every ACK during recovery.
     *
     * @param deliveredData DeliveredData: the change in SND.UNA plus the change in SACKed bytes (or, without SACK,
     *                      the sender's estimate)
     * @param pipe          RFC 6675's pipe after the ACK (or, without SACK, the sender's estimate)
     * @param ssthresh      ssthresh set when recovery began
     * @param smss          the sender's MSS
     * @param conservative  the ACK does not show recovery making good progress without further losses: PRR-CRB
     * @return sndcnt, the bytes that may be sent now (never negative)
     */
    int onAck(final int deliveredData, final int pipe, final int ssthresh, final int smss, final boolean conservative)
    {
        prrDelivered = Math.min(prrDelivered + Math.max(deliveredData, 0), Integer.MAX_VALUE);
        final long sndcnt;
        if (pipe > ssthresh)
        {
            // RFC 6937 §3 proportional part: sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out, the CEIL
            // to whole segments as in the RFC's examples (a fraction of one cannot be sent: SWS avoidance holds it)
            final int segment = Math.max(smss, 1);
            sndcnt = ceilDiv(prrDelivered * ssthresh, recoverFs * segment) * segment - prrOut;
        }
        else
        {
            // RFC 6937 §3 reduction bounds: PRR-CRB limit = prr_delivered - prr_out; PRR-SSRB limit =
            // MAX(prr_delivered - prr_out, DeliveredData) + MSS; sndcnt = MIN(ssthresh - pipe, limit)
            final long limit = conservative ? prrDelivered - prrOut
                : Math.max(prrDelivered - prrOut, deliveredData) + smss;
            sndcnt = Math.min((long)ssthresh - pipe, limit);
        }
        return (int)Math.max(0, Math.min(sndcnt, NewReno.MAX_CWND));
    }

    /** RFC 6937 §3, on any data transmission or retransmission: prr_out += data sent. */
    void onSent(final int bytes)
    {
        prrOut = Math.min(prrOut + Math.max(bytes, 0), Integer.MAX_VALUE);
    }

    long recoverFs()
    {
        return recoverFs;
    }

    long prrDelivered()
    {
        return prrDelivered;
    }

    long prrOut()
    {
        return prrOut;
    }

    private static long ceilDiv(final long x, final long y)
    {
        return -Math.floorDiv(-x, y);
    }
}
