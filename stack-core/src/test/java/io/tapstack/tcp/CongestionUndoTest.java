package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Undoing a spurious reduction (RFC 4015 §2 step 8's response; RFC 9438 §4.9 for CUBIC) in the window arithmetic,
 * SMSS 1000, sequence numbers near the 2^32 wrap.
 */
class CongestionUndoTest
{
    private static final int MSS = 1000;
    private static final int HIGH = Integer.MAX_VALUE;
    private static final int ISS = 0xFFFF_F000;
    private static final long SECOND = 1_000_000_000L;

    private final List<String> trace = new ArrayList<>();

    /** NewReno in congestion avoidance at 20 segments, ssthresh 12 segments. */
    private NewReno newRenoAvoiding()
    {
        final NewReno cc = new NewReno();
        cc.listener((reason, cwnd, ssthresh, nowNs) -> trace.add(reason + " " + cwnd + " " + ssthresh));
        cc.init(MSS, 0);
        cc.onRetransmissionTimeout(24_000, ISS, 0);            // ssthresh 12000
        for (int i = 0; i < 11; i++)
        {
            cc.onAck(MSS, 12_000, 0);                            // slow start to 12000
        }
        for (int i = 0; i < 200 && cc.cwnd() < 20_000; i++)
        {
            cc.onAck(MSS, cc.cwnd(), 0);                         // congestion avoidance
        }
        assertEquals(20_000, cc.cwnd());
        assertEquals(12_000, cc.ssthresh());
        return cc;
    }

    @Test
    void rfc4015Section2Step8UndoAfterAFastRecovery()
    {
        final NewReno cc = newRenoAvoiding();
        final long reductions = cc.reductions();
        assertTrue(cc.onSackRecoveryStart(ISS + 30_000, 20_000, ISS + 50_000, 0));
        assertEquals(reductions + 1, cc.reductions(), "a new episode");
        assertTrue(cc.undoable());
        assertFalse(cc.undoReduction(20_000, 0), "not during recovery");
        cc.onFullAck(10_000, 0);
        expect(cc, 10_000, 10_000);
        trace.clear();
        assertTrue(cc.undoReduction(16_000, 0));
        // ssthresh = pipe_prev = max(FlightSize 20000, ssthresh 12000); cwnd = min(prior 20000, FlightSize + IW)
        expect(cc, 20_000, 20_000);
        assertEquals(List.of("undo 20000 20000"), trace);
        assertFalse(cc.undoable());
        assertFalse(cc.undoReduction(16_000, 0), "once");
    }

    @Test
    void rfc4015Section2Step8NoBurstWhenLittleIsInFlight()
    {
        final NewReno cc = newRenoAvoiding();
        cc.onSackRecoveryStart(ISS + 30_000, 20_000, ISS + 50_000, 0);
        cc.onFullAck(0, 0);
        expect(cc, 2_000, 10_000);
        cc.undoReduction(0, 0);
        // cwnd = FlightSize + IW = 10000, and slow start (cwnd < ssthresh = 20000) takes it back within a round trip
        expect(cc, 10_000, 20_000);
    }

    @Test
    void rfc4015UndoOfATimeoutSeries()
    {
        final NewReno cc = newRenoAvoiding();
        cc.onRetransmissionTimeout(20_000, ISS + 50_000, 0);
        final long reductions = cc.reductions();
        cc.onRetransmissionTimeout(20_000, ISS + 50_000, 0);   // the same series: nothing more saved
        assertEquals(reductions, cc.reductions());
        expect(cc, 1_000, 10_000);
        assertTrue(cc.undoReduction(20_000, 0));
        expect(cc, 20_000, 20_000);
    }

    @Test
    void aTimeoutInsideARecoveryKeepsTheWindowFromBeforeTheRecovery()
    {
        final NewReno cc = newRenoAvoiding();
        cc.onThirdDuplicateAck(ISS + 30_000, 20_000, ISS + 50_000, 0);
        final long reductions = cc.reductions();
        cc.onRetransmissionTimeout(20_000, ISS + 50_000, 0);
        assertEquals(reductions, cc.reductions(), "the same episode");
        assertTrue(cc.undoReduction(20_000, 0));
        expect(cc, 20_000, 20_000);
    }

    @Test
    void firstLossInSlowStartRestoresAnUnlimitedSsthresh()
    {
        final NewReno cc = new NewReno();
        cc.init(MSS, 0);
        cc.onSackRecoveryStart(ISS, 10_000, ISS + 10_000, 0);
        cc.onFullAck(10_000, 0);
        cc.undoReduction(10_000, 0);
        expect(cc, 10_000, HIGH);
    }

    /** RFC 9438 §4.9: W_max, cwnd_prior and the epoch as before the spurious event, so K and W_cubic(t) too. */
    @Test
    void rfc9438Section4p9CubicRestoresWmaxAndTheEpoch()
    {
        final Cubic cc = new Cubic(0, false);
        long now = 1_000 * SECOND;
        cc.init(MSS, now);
        for (int i = 0; i < 10; i++)
        {
            cc.onAck(MSS, 20 * MSS, now);
        }
        cc.onThirdDuplicateAck(ISS, 20_000, ISS + 20_000, now);  // W_max 20000, ssthresh 14000
        cc.onFullAck(14_000, now);
        cc.onAck(MSS, 14_000, now);                              // epoch 1: K = cbrt(15)
        now += SECOND;
        cc.onAck(MSS, 14_000, now);
        final double wMax = cc.wMax();
        final double k = cc.k();
        final double wCubic = cc.wCubic(SECOND);
        final long epochs = cc.epochs();
        final int cwnd = cc.cwnd();
        // a spurious loss: fast convergence would lower W_max to 0.85 cwnd, and the next epoch K
        assertTrue(cc.onThirdDuplicateAck(ISS + 40_000, cwnd, ISS + 60_000, now));
        assertEquals(cwnd * 0.85, cc.wMax(), 1e-9);
        cc.onFullAck(cwnd * 7 / 10, now);
        assertTrue(cc.undoReduction(cwnd, now));
        assertEquals(wMax, cc.wMax(), 1e-9);
        assertEquals(k, cc.k(), 1e-12);
        assertEquals(wCubic, cc.wCubic(SECOND), 1e-9);
        assertEquals(cwnd, cc.cwnd(), "FlightSize + IW covers the window cut");
        cc.onAck(MSS, cwnd, now);
        assertEquals(epochs, cc.epochs(), "the restored epoch goes on: no new one");
    }

    private static void expect(final CongestionControl cc, final int cwnd, final int ssthresh)
    {
        assertEquals(cwnd, cc.cwnd(), "cwnd");
        assertEquals(ssthresh, cc.ssthresh(), "ssthresh");
    }
}
