package io.tapstack.tcp;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;

import static io.tapstack.tcp.TcpConnection.NONE;

/**
 * Receive-buffer autotuning (dynamic right-sizing, as Linux's tcp_rcv_space_adjust): the receive buffer, and so the
 * window we can offer, grows toward its maximum as fast as the sender's rate times the round-trip time demands,
 * instead of being sized for the worst case up front. Read RFC 9293 §3.8.6 (the window is the free buffer space),
 * §3.8.6.2.1 and RFC 7323 §2.4 (an offered window is never taken back), RFC 7323 §4 (RTT from timestamps) first.
 *
 * <p>Each round of about one round-trip time, it counts the bytes the application consumed. A sender limited by
 * our window delivers about a window per round; to keep the window from being the limit (and to leave room for a
 * round of recovery after a loss), the buffer is kept at least twice the bytes per round: when a round delivered
 * more than half the buffer, the buffer grows to the next power of two above twice the round's bytes, at most its
 * maximum and the largest window the negotiated scale can announce. So it grows in steps of at most a doubling of
 * the rate, at most once a round; it never shrinks, and it stops growing under memory pressure
 * ({@link TcpMemory}).
 *
 * <p>The round-trip time is the receiver's own: from timestamps when both ends use them (our clock now minus the
 * TSval of ours that the peer's segment echoes, smoothed by 1/8 as RFC 6298 does; one sample per echo), else from
 * how long a window's worth of data takes to arrive past the edge we offered (a data segment beyond it needs a
 * window update of ours first, so the time is at least a round trip; the smallest such time is kept, as Linux's
 * tcp_rcv_rtt_measure does). No growth happens before a sample.
 *
 * <p>Owned by the stack thread; allocates nothing (the buffer's array grows only as bytes arrive).
 */
final class ReceiveBufferTuner
{
    private final ReceiveBuffer buffer;
    private final TcpTimestamps ts;
    private final StackCounters counters;
    /** The receiver's round-trip time estimate; 0 until the first sample. */
    private long rttNs;
    /** The TSecr of the last timestamp sample: one sample per echoed TSval (Linux's rcv_rtt_last_tsecr). */
    private int lastSampledTsEcr;
    private boolean sampledTsEcr;
    /** Without timestamps: the sequence number whose arrival ends the measurement, and when it started. */
    private int measureSeq;
    private long measureStartNs = NONE;
    /** The round of consumption under way: when it started and the bytes the application took since. */
    private long roundStartNs = NONE;
    private long roundBytes;

    ReceiveBufferTuner(final ReceiveBuffer buffer, final TcpTimestamps ts, final StackCounters counters)
    {
        this.buffer = buffer;
        this.ts = ts;
        this.counters = counters;
    }

    /** The receiver's round-trip time estimate in ns; 0 before the first sample. */
    long rttNs()
    {
        return rttNs;
    }

    /**
     * In-order data arrived and RCV.NXT moved: a round-trip sample, from the segment's echoed timestamp or from the
     * time a window took to arrive.
     *
     * @param tsEcr the TSecr of the segment, used when timestamps are on
     */
    void onDataArrived(final int rcvNxt, final int tsEcr, final long nowNs)
    {
        if (ts.enabled)
        {
            if (sampledTsEcr && tsEcr == lastSampledTsEcr)
            {
                return;
            }
            final long sample = ts.rttSampleNs(tsEcr, nowNs);
            if (sample >= 0)
            {
                sampledTsEcr = true;
                lastSampledTsEcr = tsEcr;
                // RFC 7323 §4: a 1 ms clock; a sample of 0 ticks is taken as one tick
                takeSmoothedSample(Math.max(sample, TcpTimestamps.TICK_NS));
            }
            return;
        }
        if (measureStartNs != NONE && SeqNum.lt(rcvNxt, measureSeq))
        {
            return;
        }
        if (measureStartNs != NONE)
        {
            final long sample = Math.max(1, nowNs - measureStartNs);
            rttNs = rttNs == 0 ? sample : Math.min(rttNs, sample);
        }
        // past everything we can offer now: reaching it needs data sent after a window update of ours
        measureSeq = rcvNxt + buffer.capacity() + 1;
        measureStartNs = nowNs;
    }

    private void takeSmoothedSample(final long sampleNs)
    {
        rttNs = rttNs == 0 ? sampleNs : rttNs + (sampleNs - rttNs) / 8;
    }

    /**
     * The application consumed {@code bytes}: at the end of a round, grows the buffer if the round's bytes call for
     * it.
     *
     * @param windowLimit the largest window the field can announce (65,535 scaled by Rcv.Wind.Shift)
     * @return whether the buffer grew
     */
    boolean onConsumed(final int bytes, final int windowLimit, final long nowNs)
    {
        roundBytes += bytes;
        if (roundStartNs == NONE)
        {
            roundStartNs = nowNs;
            return false;
        }
        final long elapsedNs = nowNs - roundStartNs;
        if (rttNs == 0 || elapsedNs < rttNs)
        {
            return false;
        }
        // the bytes of one round trip (a round that ran long, because the application read late, counts pro rata)
        final long perRtt = (long)(roundBytes * ((double)rttNs / elapsedNs));
        roundStartNs = nowNs;
        roundBytes = 0;
        if (2 * perRtt <= buffer.capacity())
        {
            return false;
        }
        final long step = Long.highestOneBit(2 * perRtt - 1) << 1;
        if (!buffer.growTo((int)Math.min(step, windowLimit)))
        {
            return false;
        }
        counters.increment(Counter.TCP_RCVBUF_GROWTHS);
        return true;
    }
}
