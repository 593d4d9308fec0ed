package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.HyStartPlusPlus.ENTERED_CSS;
import static io.tapstack.tcp.HyStartPlusPlus.ENTER_CONGESTION_AVOIDANCE;
import static io.tapstack.tcp.HyStartPlusPlus.NO_CHANGE;
import static io.tapstack.tcp.HyStartPlusPlus.RESUMED_SLOW_START;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HyStart++ (RFC 9406 §4.2) with the RFC's constants: a round whose minimum RTT rose by RttThresh leaves slow
 * start for CSS, a lower RTT in CSS goes back, and five rounds of CSS end in congestion avoidance. Rounds here are
 * eight ACKs of 1000 bytes each: the first ACK of a round sees 9000 bytes outstanding, so windowEnd lies eight
 * ACKs on.
 */
class HyStartPlusPlusTest
{
    private static final int MSS = 1000;
    private static final long MS = 1_000_000L;
    private static final long BASE_RTT = 100 * MS;
    /** RFC 9406 §4.2: RttThresh = max(4 ms, min(100 ms / 8, 16 ms)) = 12.5 ms for a 100 ms round. */
    private static final long THRESH = 12_500_000L;

    private final HyStartPlusPlus h = new HyStartPlusPlus();

    /** One round of {@code acks} ACKs, each with an RTT sample of {@code rttNs}; the events, in order. */
    private List<Integer> round(final int acks, final long rttNs)
    {
        final List<Integer> events = new ArrayList<>();
        for (int i = 0; i < acks; i++)
        {
            events.add(h.onAck(MSS, (acks + 1) * MSS, rttNs));
        }
        return events;
    }

    private static List<Integer> quiet(final int n)
    {
        final List<Integer> events = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            events.add(NO_CHANGE);
        }
        return events;
    }

    private static List<Integer> lastIs(final int n, final int event)
    {
        final List<Integer> events = quiet(n - 1);
        events.add(event);
        return events;
    }

    @Test
    void aRoundWhoseMinimumRttRoseByTheThresholdEntersCss()
    {
        assertEquals(quiet(8), round(8, BASE_RTT));              // no last round to compare with
        assertEquals(BASE_RTT, h.currentRoundMinRttNs());
        // the eighth sample (N_RTT_SAMPLE) of a round at 100 + 12.5 ms makes the comparison and leaves slow start
        assertEquals(lastIs(8, ENTERED_CSS), round(8, BASE_RTT + THRESH));
        assertEquals(BASE_RTT, h.lastRoundMinRttNs());
        assertTrue(h.inCss());
    }

    @Test
    void aRiseBelowTheThresholdStaysInSlowStart()
    {
        round(8, BASE_RTT);
        assertEquals(quiet(8), round(8, BASE_RTT + THRESH - 1));
        assertFalse(h.inCss());
    }

    @Test
    void fewerThanEightSamplesDecideNothing()
    {
        round(8, BASE_RTT);
        for (int i = 0; i < 7; i++)
        {
            assertEquals(NO_CHANGE, h.onAck(MSS, 9 * MSS, BASE_RTT + 2 * THRESH));
        }
        assertEquals(NO_CHANGE, h.onAck(MSS, 9 * MSS, -1));     // the round's last ACK, without a sample
        assertFalse(h.inCss());
    }

    @Test
    void theThresholdIsClampedBetweenFourAndSixteenMilliseconds()
    {
        round(8, 20 * MS);                                       // 20 / 8 = 2.5 ms: the floor, 4 ms
        assertEquals(quiet(8), round(8, 24 * MS - 1));
        h.reset();
        round(8, 20 * MS);
        assertEquals(lastIs(8, ENTERED_CSS), round(8, 24 * MS));
        h.reset();
        round(8, 400 * MS);                                      // 400 / 8 = 50 ms: the ceiling, 16 ms
        assertEquals(quiet(8), round(8, 416 * MS - 1));
        h.reset();
        round(8, 400 * MS);
        assertEquals(lastIs(8, ENTERED_CSS), round(8, 416 * MS));
    }

    @Test
    void anRttBelowTheCssBaselineResumesSlowStart()
    {
        round(8, BASE_RTT);
        round(8, BASE_RTT + THRESH);                             // CSS, baseline 112.5 ms
        assertEquals(lastIs(8, RESUMED_SLOW_START), round(8, BASE_RTT + THRESH - 1));
        assertFalse(h.inCss());
    }

    @Test
    void fiveRoundsOfCssEndInCongestionAvoidance()
    {
        round(8, BASE_RTT);
        round(8, BASE_RTT + THRESH);                             // CSS from the round's last ACK
        for (int i = 0; i < 4; i++)                             // CSS_ROUNDS = 5: four quiet rounds
        {
            assertEquals(quiet(8), round(8, BASE_RTT + THRESH), "CSS round " + i);
            assertTrue(h.inCss());
        }
        // the end of the fifth round (its windowEnd acknowledged) enters congestion avoidance
        assertEquals(ENTER_CONGESTION_AVOIDANCE, h.onAck(MSS, 9 * MSS, BASE_RTT + THRESH));
        assertFalse(h.inCss());
    }

    // ------------------------------------------------------------------------------------------------ through CUBIC

    @Test
    void cubicGrowsAQuarterAsFastInCssAndSetsSsthreshOnExit()
    {
        final Cubic cc = new Cubic();
        final List<String> trace = new ArrayList<>();
        cc.listener((reason, cwnd, ssthresh, nowNs) -> trace.add(reason));
        cc.init(MSS, 0);
        cc.onAck(20 * MSS, 40 * MSS, 0);                         // RFC 9406 §4.2: + min(N, L * SMSS) = 8000
        assertEquals(18_000, cc.cwnd());
        cc.init(MSS, 0);
        final long[] rtts = {BASE_RTT, BASE_RTT + THRESH};
        for (final long rtt : rtts)
        {
            for (int i = 0; i < 8; i++)
            {
                cc.onRttSample(rtt, rtt, 0);
                cc.onAck(MSS, 9 * MSS, 0);
            }
        }
        assertTrue(cc.inCss());
        assertEquals(1, cc.hyStartCssEntries());
        assertEquals(26_000, cc.cwnd());                         // 10000 + 16 ACKs of 1000 in slow start
        for (int i = 0; i < 4; i++)
        {
            cc.onRttSample(BASE_RTT + THRESH, BASE_RTT + THRESH, 0);
            cc.onAck(MSS, 9 * MSS, 0);
        }
        assertEquals(27_000, cc.cwnd());                         // RFC 9406 §4.2: 4000 acked / CSS_GROWTH_DIVISOR
        assertEquals(Integer.MAX_VALUE, cc.ssthresh());
        for (int i = 0; i < 4 * 8 - 4; i++)
        {
            cc.onRttSample(BASE_RTT + THRESH, BASE_RTT + THRESH, 0);
            cc.onAck(MSS, 9 * MSS, 0);
        }
        assertEquals(Integer.MAX_VALUE, cc.ssthresh());
        cc.onRttSample(BASE_RTT + THRESH, BASE_RTT + THRESH, 0);
        cc.onAck(MSS, 9 * MSS, 0);                               // the fifth CSS round ends
        assertEquals(34_250, cc.cwnd());                         // 26000 + 33 * 1000 / 4
        assertEquals(34_250, cc.ssthresh());                     // RFC 9406 §4.2: ssthresh = cwnd
        assertEquals(1, cc.hyStartExits());
        assertEquals(List.of("hystart-css", "hystart-exit"),
            trace.stream().filter(r -> r.startsWith("hystart")).toList());
        cc.onAck(MSS, 9 * MSS, 0);                               // RFC 9438 §4.10: the epoch has K = 0
        assertEquals(0, cc.k(), 0);
        assertEquals(34_250, cc.wMax(), 1e-9);
    }

    @Test
    void noHyStartAfterALoss()
    {
        final Cubic cc = new Cubic();
        cc.init(MSS, 0);
        cc.onRetransmissionTimeout(40 * MSS, 40 * MSS, 0);       // ssthresh 28000: slow start is RFC 5681's
        for (int rtt = 0; rtt < 3; rtt++)
        {
            for (int i = 0; i < 8; i++)
            {
                cc.onRttSample(BASE_RTT + rtt * THRESH, BASE_RTT, 0);
                cc.onAck(2 * MSS, 9 * MSS, 0);                   // + min(N, SMSS) = 1000 each
            }
        }
        assertFalse(cc.inCss());
        assertEquals(25_000, cc.cwnd());
        assertEquals(0, cc.hyStartCssEntries());
    }
}
