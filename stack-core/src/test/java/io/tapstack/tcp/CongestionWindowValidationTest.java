package io.tapstack.tcp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 7661 congestion window validation: pipeACK (§4.2), the non-validated phase and the growth it stops (§4.3), the
 * response to a loss in it (§4.4.1) and the end of the non-validated period (§5), for NewReno and CUBIC. SMSS 1000,
 * SRTT 100 ms; one "round trip" below is 100 ms of simulated time with its ACKs.
 */
class CongestionWindowValidationTest
{
    private static final int MSS = 1000;
    private static final int ISS = 0xFFFF_F000;
    private static final long MS = 1_000_000L;
    private static final long RTT = 100 * MS;

    private final CongestionWindowValidation cwv = new CongestionWindowValidation();
    private long now = 1_000_000 * MS;

    // ------------------------------------------------------------------------------------------------ pipeACK

    @Test
    void rfc7661Section4p2PipeAckIsUndefinedUntilARoundTripWasMeasured()
    {
        cwv.reset(now);
        assertEquals(-1, cwv.pipeAck(RTT, now));
        cwv.onAck(5_000, RTT, now);                 // starts the sample
        cwv.onAck(5_000, RTT, now + RTT / 2);
        assertEquals(-1, cwv.pipeAck(RTT, now + RTT / 2), "less than a round trip");
        cwv.onAck(5_000, RTT, now + RTT);
        assertEquals(10_000, cwv.pipeAck(RTT, now + RTT));
        assertFalse(cwv.nonValidated(20_000, false, RTT, now + RTT), "10000 is half of 20000");
        assertTrue(cwv.nonValidated(20_002, false, RTT, now + RTT));
        assertFalse(cwv.nonValidated(20_002, true, RTT, now + RTT), "a sender using its window is validated");
        cwv.reset(now);
        assertEquals(-1, cwv.pipeAck(RTT, now));
        assertFalse(cwv.nonValidated(1 << 30, false, RTT, now), "undefined: validated (§4.1)");
    }

    @Test
    void rfc7661Section4p2PipeAckIsTheLargestSampleOfTheSamplingPeriod()
    {
        cwv.reset(now);
        cwv.onAck(0, RTT, now);
        for (int i = 1; i <= 3; i++)
        {
            cwv.onAck(50_000, RTT, now + i * RTT);
        }
        for (int i = 4; i <= 40; i++)
        {
            cwv.onAck(5_000, RTT, now + i * RTT);
            final long pipeAck = cwv.pipeAck(RTT, now + i * RTT);
            // the sampling period is max(3 RTT, 1 s) = 1 s, kept in quarters: the 50 kB samples last 1 to 1.25 s
            assertEquals(i <= 10 ? 50_000 : i >= 13 ? 5_000 : pipeAck, pipeAck, "round trip " + i);
        }
        assertEquals(0, cwv.pipeAck(RTT, now + 40 * RTT + 2_000 * MS), "every sample aged out");
    }

    @Test
    void rfc7661Section4p2ASampleCountsOneRoundTripsShare()
    {
        cwv.reset(now);
        cwv.onAck(0, RTT, now);
        cwv.onAck(19_000, RTT, now + RTT * 19 / 10); // ACKs sparse: 1.9 round trips
        assertEquals(10_000, cwv.pipeAck(RTT, now + 2 * RTT));
        cwv.onAck(1_000_000, RTT, now + 10 * RTT); // across an idle spell: not a share of it
        assertEquals(10_000, cwv.pipeAck(RTT, now + 10 * RTT));
    }

    @Test
    void rfc7661Section4p2AcksFarApartStillMakeSamples()
    {
        // a slow reader: each window update lets 3000 bytes go, ACKed by two ACKs 10 ms apart, once a second
        final long srtt = 20 * MS;
        cwv.reset(now);
        for (int burst = 0; burst < 5; burst++)
        {
            final long at = now + burst * 1_000 * MS;
            cwv.onAck(2_000, srtt, at);
            cwv.onAck(1_000, srtt, at + 10 * MS);
            if (burst == 0)
            {
                assertEquals(-1, cwv.pipeAck(srtt, at + 10 * MS), "no round trip has ended yet");
            }
            else
            {
                // the sample a burst opened ends at the next burst: what its round trip acknowledged, all 3000
                // bytes (the first burst's opening ACK, before any sample, is not counted: 1000)
                assertEquals(burst == 1 ? 1_000 : 3_000, cwv.pipeAck(srtt, at + 10 * MS), "burst " + burst);
            }
        }
        assertTrue(cwv.nonValidated(10_000, false, srtt, now + 4_010 * MS), "3000 is less than half of 10000");
    }

    // ------------------------------------------------------------------------------------------------ the window

    private final List<String> trace = new ArrayList<>();

    private AbstractCongestionControl validated(final CongestionAlgorithm algorithm)
    {
        final AbstractCongestionControl cc = algorithm == CongestionAlgorithm.CUBIC ? new Cubic(0, false)
            : new NewReno();
        cc.windowValidation(true);
        cc.listener((reason, cwnd, ssthresh, nowNs) -> trace.add(reason));
        cc.init(MSS, now);
        cc.onRttSample(RTT, RTT, now);
        return cc;
    }

    /** An application sending {@code segments} per round trip for {@code rounds} round trips, each ACKed alone. */
    private void rateLimited(final CongestionControl cc, final int segments, final int rounds)
    {
        for (int r = 0; r < rounds; r++)
        {
            now += RTT;
            for (int s = 0; s < segments; s++)
            {
                cc.onAck(MSS, (segments - s) * MSS, now + s);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CongestionAlgorithm.class)
    void rfc7661Section4p3AWindowNeverUsedDoesNotGrow(final CongestionAlgorithm algorithm)
    {
        final AbstractCongestionControl cc = validated(algorithm);
        rateLimited(cc, 2, 100);
        // the first round trip, before pipeACK is defined, grows cwnd by its 2 ACKs; then pipeACK = 2 segments
        assertEquals(12_000, cc.cwnd());
        assertTrue(cc.nonValidated());
        assertTrue(trace.contains(CongestionControl.REASON_NON_VALIDATED), trace.toString());

        final AbstractCongestionControl plain = algorithm == CongestionAlgorithm.CUBIC ? new Cubic(0, false)
            : new NewReno();
        plain.init(MSS, now);
        rateLimited(plain, 2, 100);
        assertTrue(plain.cwnd() > 100_000, "without RFC 7661 every ACK grows it: " + plain.cwnd());
    }

    @ParameterizedTest
    @EnumSource(CongestionAlgorithm.class)
    void rfc7661Section4p3ABulkSenderIsUnaffected(final CongestionAlgorithm algorithm)
    {
        final AbstractCongestionControl cc = validated(algorithm);
        final AbstractCongestionControl plain = algorithm == CongestionAlgorithm.CUBIC ? new Cubic(0, false)
            : new NewReno();
        plain.init(MSS, now);
        plain.onRttSample(RTT, RTT, now);
        cc.onRetransmissionTimeout(30_000, ISS, now);    // ssthresh 15000 (NewReno) or 21000 (CUBIC): slow start,
        plain.onRetransmissionTimeout(30_000, ISS, now); // then congestion avoidance
        for (int r = 0; r < 30; r++)
        {
            now += RTT;
            final int window = cc.cwnd();
            for (int acked = 0; acked < window; acked += MSS) // a window per round trip, one ACK a segment, and
            {                                                // each ACK's release refills it: FlightSize = cwnd
                cc.onAck(MSS, cc.cwnd(), now + acked);
                plain.onAck(MSS, plain.cwnd(), now + acked);
            }
            assertEquals(plain.cwnd(), cc.cwnd(), "round trip " + r);
            assertFalse(cc.nonValidated());
        }
        assertTrue(cc.cwnd() > cc.ssthresh() + 10 * MSS, "grew in congestion avoidance: " + cc.cwnd());
    }

    @ParameterizedTest
    @EnumSource(CongestionAlgorithm.class)
    void rfc7661Section4p4p1ALossWhileNonValidatedSetsCwndFromWhatWasUsed(final CongestionAlgorithm algorithm)
    {
        final AbstractCongestionControl cc = validated(algorithm);
        rateLimited(cc, 4, 10);            // cwnd 14 segments, pipeACK 4
        assertTrue(cc.nonValidated());
        assertTrue(cc.onSackRecoveryStart(ISS, 4 * MSS, ISS + 4 * MSS, now));
        cc.onDataSent(MSS, true);           // R: one segment resent
        cc.onFullAck(0, now);
        // (max(pipeACK 4000, LossFlightSize 4000) - R 1000) / 2 = 1500; ssthresh the same, at least 2 SMSS
        assertEquals(1_500, cc.cwnd());
        assertEquals(2_000, cc.ssthresh());
        assertTrue(trace.contains(CongestionControl.REASON_NON_VALIDATED_LOSS));
        assertFalse(cc.nonValidated(), "pipeACK undefined after recovery: validated");
    }

    @Test
    void rfc7661Section5TheNonValidatedPeriodEndsAfterFiveMinutes()
    {
        final AbstractCongestionControl cc = validated(CongestionAlgorithm.NEWRENO);
        rateLimited(cc, 2, 10);
        for (int i = 0; i < 40; i++)
        {
            cc.onAck(MSS, 0, now + 9 * RTT * i);   // a segment every 0.9 s for 36 s: grows nothing
        }
        now += 9 * RTT * 40;
        final int cwnd = cc.cwnd();
        assertEquals(12_000, cwnd);
        now += CongestionWindowValidation.NON_VALIDATED_PERIOD_NS;
        cc.onAck(MSS, 0, now);
        // ssthresh = max(ssthresh, 3/4 cwnd) (unlimited stays so); cwnd = max(cwnd / 2, IW)
        assertEquals(10_000, cc.cwnd());
        assertTrue(trace.contains(CongestionControl.REASON_NON_VALIDATED_PERIOD_END));
    }
}
