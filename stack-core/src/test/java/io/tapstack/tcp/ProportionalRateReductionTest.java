package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RFC 6937 §3's arithmetic, checked against the RFC's examples: cwnd = FlightSize = pipe = 20 segments when the loss
 * is found, so ssthresh = 10 and RecoverFS = 20 (the two segments limited transmit sent on the first two duplicate
 * ACKs are not counted). Segments are 1,000 bytes, so the numbers read as segments.
 */
class ProportionalRateReductionTest
{
    private static final int MSS = 1000;
    private static final int SSTHRESH = 10 * MSS;

    private final ProportionalRateReduction prr = new ProportionalRateReduction();

    /**
     * A sender that sends all it may on every ACK: {@code pipe} before each ACK (it leaves the network with the ACK,
     * then sndcnt goes out), one segment delivered per ACK. Returns what went out per ACK, one character each: the
     * count, or '.' for none.
     */
    private String run(final int acks, final int pipeBefore, final boolean conservative)
    {
        final StringBuilder sent = new StringBuilder();
        int pipe = pipeBefore;
        for (int i = 0; i < acks; i++)
        {
            pipe -= MSS;
            final int sndcnt = prr.onAck(MSS, pipe, SSTHRESH, MSS, conservative);
            final int segments = sndcnt / MSS;
            prr.onSent(segments * MSS);
            pipe += segments * MSS;
            sent.append(segments == 0 ? "." : String.valueOf(segments));
        }
        return sent.toString();
    }

    /**
     * The first example, one loss: from the third duplicate ACK (the fast retransmit) PRR sends one segment for every
     * two delivered, ending with pipe at ssthresh; RFC 6675 would send nothing for half a window and then one per
     * ACK. 17 ACKs (numbers 3 to 19 in the RFC's figure): R . N . N . N . N . N . N . N . N
     */
    @Test
    void rfc6937ExampleOneLossSendsOneSegmentPerTwoDelivered()
    {
        prr.start(20 * MSS);
        // pipe when the third duplicate ACK arrives: 22 segments out, 2 SACKed, the lost one not in the network
        assertEquals("1.1.1.1.1.1.1.1.1", run(17, 20 * MSS, false));
        assertEquals(17 * MSS, prr.prrDelivered());
        assertEquals(9 * MSS, prr.prrOut(), "CEIL(17 * 10 / 20)");
    }

    /**
     * The second example, 15 segments lost in a row: pipe is 4 when recovery starts, below ssthresh, so a reduction
     * bound decides. PRR-SSRB sends 2 per ACK (one more than delivered) and pipe climbs 4, 5, 6 towards ssthresh.
     */
    @Test
    void rfc6937ExampleBurstLossSlowStartReductionBound()
    {
        prr.start(20 * MSS);
        assertEquals("222", run(3, 5 * MSS, false));
    }

    /** The same with PRR-CRB: strictly one out per one delivered, pipe stays at 4. */
    @Test
    void rfc6937ExampleBurstLossConservativeReductionBound()
    {
        prr.start(20 * MSS);
        assertEquals("111", run(3, 5 * MSS, true));
    }

    @Test
    void rfc6937Section3ReductionBoundNeverPassesSsthresh()
    {
        prr.start(20 * MSS);
        // pipe 9.5 segments: SSRB would allow 2, ssthresh - pipe is half a segment
        assertEquals(500, prr.onAck(MSS, 9500, SSTHRESH, MSS, false));
    }

    @Test
    void rfc6937Section3SndcntIsNeverNegative()
    {
        prr.start(20 * MSS);
        prr.onSent(5 * MSS); // more sent than the proportion allows (e.g. the retransmission on entry)
        assertEquals(0, prr.onAck(MSS, 15 * MSS, SSTHRESH, MSS, false));
        assertEquals(0, prr.onAck(MSS, 5 * MSS, SSTHRESH, MSS, true));
    }

    @Test
    void startsOverForEachRecovery()
    {
        prr.start(20 * MSS);
        prr.onAck(3 * MSS, 15 * MSS, SSTHRESH, MSS, false);
        prr.onSent(MSS);
        prr.start(8 * MSS);
        assertEquals(8 * MSS, prr.recoverFs());
        assertEquals(0, prr.prrDelivered());
        assertEquals(0, prr.prrOut());
        prr.start(0);
        assertEquals(1, prr.recoverFs(), "an empty flight cannot divide by zero");
    }
}
