package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CUBIC's window arithmetic against values worked by hand from RFC 9438's formulas (C = 0.4, beta_cubic = 0.7,
 * alpha_cubic = 3 * 0.3 / 1.7 = 0.5294...). SMSS is 1000 bytes so segments and kilobytes read alike; HyStart++ is
 * off here (see {@link HyStartPlusPlusTest}) so slow start is RFC 5681's.
 */
class CubicTest
{
    private static final int MSS = 1000;
    private static final int HIGH = Integer.MAX_VALUE;
    private static final int ISS = 0xFFFF_F000;
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    /** Doubles compared to a thousandth of a byte (or of a second). */
    private static final double EPSILON = 1e-3;

    private final List<String> trace = new ArrayList<>();
    private final Cubic cc = new Cubic(0, false);
    private long now = 1_000 * SECOND;

    CubicTest()
    {
        cc.listener((reason, cwnd, ssthresh, nowNs) -> trace.add(reason + " " + cwnd + " " + ssthresh));
    }

    private void expect(final int cwnd, final int ssthresh)
    {
        assertEquals(cwnd, cc.cwnd(), "cwnd");
        assertEquals(ssthresh, cc.ssthresh(), "ssthresh");
    }

    /** init, slow start to 20 segments, a fast retransmit with 20 segments out and its full ACK. */
    private int lossAtTwentySegments()
    {
        cc.init(MSS, now);
        for (int i = 0; i < 10; i++)
        {
            cc.onAck(MSS, 20 * MSS, now);
        }
        expect(20_000, HIGH);
        final int sndNxt = ISS + 20_000;
        assertTrue(cc.onThirdDuplicateAck(ISS, 20_000, sndNxt, now));
        return sndNxt;
    }

    @Test
    void multiplicativeDecreaseByBetaOnTheThirdDuplicateAck()
    {
        lossAtTwentySegments();
        // RFC 9438 §4.6: ssthresh = 20000 * 0.7; RFC 5681 §3.2 step 3: cwnd = ssthresh + 3 * SMSS
        expect(17_000, 14_000);
        assertEquals(20_000, cc.wMax(), EPSILON);               // §4.7: first loss, W_max = cwnd
        assertTrue(cc.inRecovery());
        cc.onDuplicateAckInRecovery(now);
        expect(18_000, 14_000);
        cc.onFullAck(14_000, now);
        expect(14_000, 14_000);                                 // min(14000, max(14000, 1000) + 1000)
        assertFalse(cc.inRecovery());
    }

    @Test
    void ssthreshIsAtLeastTwoSegments()
    {
        cc.init(MSS, now);
        assertTrue(cc.onThirdDuplicateAck(ISS, 2_000, ISS + 2_000, now));
        expect(5_000, 2_000);                                   // max(1400, 2000) + 3 * 1000
        cc.init(MSS, now);
        cc.onRetransmissionTimeout(2_000, ISS + 2_000, now);
        expect(1_000, 2_000);
    }

    @Test
    void kAndTheWindowFunctionFollowFigures1And2()
    {
        lossAtTwentySegments();
        cc.onFullAck(14_000, now);
        final long epoch = now;
        cc.onAck(MSS, 14_000, epoch);                           // the first ACK in avoidance starts the epoch
        assertEquals(1, cc.epochs());
        // K = cbrt((W_max - cwnd_epoch) / C) = cbrt((20 - 14) / 0.4) = cbrt(15) s
        assertEquals(2.466212, cc.k(), 1e-6);
        assertEquals(14_000, cc.wCubic(0), EPSILON);            // W_cubic(0) = cwnd_epoch
        assertEquals(18_739.188, cc.wCubic(SECOND), EPSILON);   // 0.4 * (1 - K)^3 * 1000 + 20000
        assertEquals(19_600, cc.wCubic((long)((cc.k() - 1) * SECOND)), 0.01);  // -0.4 * 1000 + 20000
        assertEquals(20_000, cc.wCubic((long)(cc.k() * SECOND)), 0.01);       // plateau at W_max
        assertEquals(20_400, cc.wCubic((long)((cc.k() + 1) * SECOND)), 0.01); // convex beyond it
    }

    @Test
    void concaveGrowthTowardsTheTargetOneRttAhead()
    {
        lossAtTwentySegments();
        cc.onFullAck(14_000, now);
        cc.onRttSample(100 * MS, 100 * MS, now);
        cc.onAck(MSS, 14_000, now);
        // at t = 0 W_cubic = cwnd_epoch = 14000 < W_est = 14000 + 0.5294 * 1000 * 1000 / 14000 = 14037.8:
        // the first ACK of an epoch is always in the Reno-friendly region (§4.3)
        expect(14_037, 14_000);
        now += SECOND;
        cc.onRttSample(100 * MS, 100 * MS, now);
        cc.onAck(MSS, 14_000, now);
        // W_est = 14075.5 < W_cubic(1 s) = 18739.2: §4.4, target = W_cubic(1 s + 0.1 s) = 0.4 * (1.1 - K)^3 * 1000
        // + 20000 = 18979.97 (within [cwnd, 1.5 cwnd]); cwnd += (18979.97 - 14037) * 1000 / 14037 = 352.14
        expect(14_389, 14_000);
    }

    @Test
    void renoFriendlyRegionAfterATimeoutWhereKIsZero()
    {
        cc.init(MSS, now);
        for (int i = 0; i < 10; i++)
        {
            cc.onAck(MSS, 20 * MSS, now);
        }
        cc.onRetransmissionTimeout(20_000, ISS + 20_000, now);
        expect(1_000, 14_000);                                  // §4.8: ssthresh = 20000 * 0.7, cwnd = 1 SMSS
        for (int i = 0; i < 13; i++)
        {
            cc.onAck(MSS, 14_000, now);                         // slow start back to ssthresh
        }
        expect(14_000, 14_000);
        cc.onAck(MSS, 14_000, now);                             // epoch: K = 0, W_max = cwnd_epoch = 14000
        assertEquals(0, cc.k(), 0);
        assertEquals(14_000, cc.wMax(), EPSILON);
        // §4.3: W_est = 14000 + alpha_cubic * 1000 * 1000 / 14000 = 14037.815 > W_cubic(0) = 14000: cwnd = W_est
        assertEquals(14_037.815, cc.wEst(), EPSILON);
        expect(14_037, 14_000);
        now += SECOND;
        cc.onAck(MSS, 14_000, now);
        // W_est = 14037.815 + 0.5294 * 1000 * 1000 / 14037 = 14075.531 < W_cubic(1 s) = 0.4 * 1000 + 14000 = 14400:
        // the cubic region; RTT 0 (no sample): target 14400, cwnd += (14400 - 14037) * 1000 / 14037 = 25.86
        assertEquals(14_075.531, cc.wEst(), EPSILON);
        expect(14_062, 14_000);
    }

    @Test
    void alphaBecomesOneOnceWestReachesCwndPrior()
    {
        cc.init(MSS, now);
        cc.onRetransmissionTimeout(10_000, ISS + 10_000, now);  // cwnd_prior = 10000, ssthresh 7000
        for (int i = 0; i < 6; i++)
        {
            cc.onAck(MSS, 7_000, now);
        }
        expect(7_000, 7_000);
        // W_est climbs from 7000 by 0.5294 * 1000 * 1000 / cwnd per ACK until it reaches cwnd_prior = 10000,
        // then by 1000 * 1000 / cwnd: Reno's rate (RFC 9438 §4.3)
        double west = 7_000;
        for (int i = 0; i < 200; i++)
        {
            final int cwnd = cc.cwnd();
            final double alpha = west >= 10_000 ? 1 : Cubic.ALPHA_CUBIC;
            west += alpha * MSS * MSS / cwnd;
            cc.onAck(MSS, cwnd, now);                           // t stays 0: W_cubic = 7000, Reno-friendly
            assertEquals(west, cc.wEst(), EPSILON, "ACK " + i);
            assertEquals((int)west, cc.cwnd(), "ACK " + i);
        }
        assertTrue(west > 10_000 + 20 * MSS * MSS / west, "past cwnd_prior with alpha 1 for a while");
    }

    @Test
    void fastConvergenceLowersWmaxWhenTheWindowShrinks()
    {
        lossAtTwentySegments();
        cc.onFullAck(14_000, now);
        cc.onAck(MSS, 14_000, now);
        final int cwnd = cc.cwnd();                             // 14037 after one ACK, below W_max = 20000
        assertTrue(cc.onThirdDuplicateAck(ISS + 30_000, cwnd, ISS + 40_000, now));
        // RFC 9438 §4.7: W_max = cwnd * (1 + 0.7) / 2; §4.6: ssthresh = FlightSize * 0.7 (FlightSize = cwnd here)
        assertEquals(cwnd * 0.85, cc.wMax(), EPSILON);
        assertEquals((int)(cwnd * 0.7), cc.ssthresh());
        cc.onFullAck(cc.ssthresh(), now);
        cc.onAck(MSS, cc.cwnd(), now);
        // the next epoch's K from the lowered W_max
        assertEquals(Math.cbrt((cwnd * 0.85 - (int)(cwnd * 0.7)) / MSS / Cubic.C), cc.k(), 1e-9);
    }

    @Test
    void noFastConvergenceWhenTheWindowGrewPastWmax()
    {
        lossAtTwentySegments();
        cc.onFullAck(14_000, now);
        cc.onAck(MSS, 14_000, now);
        cc.onAck(MSS, 14_000, now + 10 * SECOND);               // t = 10 s, far past K: convex, capped at 1.5 cwnd
        // the target is 1.5 * cwnd: cwnd grows by (1.5 cwnd - cwnd) * 1000 / cwnd = 500 bytes per ACK
        assertEquals(14_037 + 500, cc.cwnd());
        for (int i = 0; i < 12; i++)
        {
            cc.onAck(MSS, 14_000, now + 10 * SECOND);
        }
        final int cwnd = cc.cwnd();
        assertEquals(14_037 + 13 * 500, cwnd);
        assertTrue(cc.onThirdDuplicateAck(ISS + 30_000, 30_000, ISS + 60_000, now + 10 * SECOND));
        assertEquals(cwnd, cc.wMax(), EPSILON);                 // cwnd >= W_max: W_max = cwnd
        expect(21_000 + 3 * MSS, 21_000);                       // 30000 * 0.7
    }

    @Test
    void repeatedTimeoutsHoldSsthreshAndTheEpochRestarts()
    {
        cc.init(MSS, now);
        cc.onRetransmissionTimeout(10_000, ISS + 10_000, now);
        expect(1_000, 7_000);
        cc.onRetransmissionTimeout(10_000, ISS + 10_000, now);  // again before an ACK: ssthresh held (§4.8)
        expect(1_000, 7_000);
        assertFalse(cc.onThirdDuplicateAck(ISS, 10_000, ISS + 10_000, now)); // RFC 6582: not past recover
        assertEquals(List.of("init 10000 2147483647", "rto 1000 7000", "rto 1000 7000"), trace);
    }

    @Test
    void idleRestartStartsANewEpoch()
    {
        lossAtTwentySegments();
        cc.onFullAck(14_000, now);
        cc.onAck(MSS, 14_000, now);
        assertEquals(1, cc.epochs());
        cc.onIdle(2 * SECOND, SECOND, now);
        expect(10_000, 14_000);                                 // RFC 5681 §4.1: RW = min(IW, cwnd)
        for (int i = 0; i < 4; i++)
        {
            cc.onAck(MSS, 10_000, now);
        }
        cc.onAck(MSS, 14_000, now);
        assertEquals(2, cc.epochs());
    }

    @Test
    void traceNamesTheEpochs()
    {
        lossAtTwentySegments();
        cc.onFullAck(14_000, now);
        trace.clear();
        cc.onAck(MSS, 14_000, now);
        assertEquals(List.of("cubic-epoch 14000 14000", "congestion-avoidance 14037 14000"), trace);
    }
}
