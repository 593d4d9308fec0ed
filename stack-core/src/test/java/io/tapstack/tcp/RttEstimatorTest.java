package io.tapstack.tcp;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6298 arithmetic with numbers worked by hand from the formulas. */
class RttEstimatorTest
{
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;

    @Test
    void startsWithAnRtoOfOneSecond()
    {
        final RttEstimator e = new RttEstimator();
        assertFalse(e.hasSample());
        assertEquals(S, e.rtoNs()); // RFC 6298 §2.1
    }

    @Test
    void firstSampleSetsSrttAndHalfOfItAsRttvar()
    {
        final RttEstimator e = new RttEstimator();
        e.sample(100 * MS);
        assertTrue(e.hasSample());
        assertEquals(100 * MS, e.srttNs());
        assertEquals(50 * MS, e.rttvarNs());
        assertEquals(300 * MS, e.rtoNs()); // 100 + max(1, 4 * 50)
    }

    @Test
    void laterSamplesSmoothWithAlphaAnEighthAndBetaAQuarter()
    {
        final RttEstimator e = new RttEstimator();
        e.sample(100 * MS);
        e.sample(140 * MS);
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 140| = 47.5; SRTT = 7/8 * 100 + 1/8 * 140 = 105
        assertEquals(47_500_000L, e.rttvarNs());
        assertEquals(105 * MS, e.srttNs());
        assertEquals(295 * MS, e.rtoNs()); // 105 + 4 * 47.5
        e.sample(60 * MS);
        // RTTVAR = 3/4 * 47.5 + 1/4 * |105 - 60| = 46.875; SRTT = 7/8 * 105 + 1/8 * 60 = 99.375
        assertEquals(46_875_000L, e.rttvarNs());
        assertEquals(99_375_000L, e.srttNs());
        assertEquals(286_875_000L, e.rtoNs()); // 99.375 + 187.5
    }

    @Test
    void rtoIsAtLeastTheMinimumOf200Ms()
    {
        final RttEstimator e = new RttEstimator();
        e.sample(10 * MS); // 10 + 4 * 5 = 30 ms
        assertEquals(200 * MS, e.rtoNs());
        final RttEstimator rfc = new RttEstimator(S, S, 60 * S, MS); // RFC 6298 §2.4 as written
        rfc.sample(10 * MS);
        assertEquals(S, rfc.rtoNs());
    }

    @Test
    void granularityBoundsTheVarianceTerm()
    {
        final RttEstimator e = new RttEstimator(S, 0, 60 * S, 500 * MS);
        e.sample(100 * MS);
        assertEquals(600 * MS, e.rtoNs()); // 100 + max(500, 200)
        final RttEstimator fine = new RttEstimator(S, 0, 60 * S, MS);
        for (int i = 0; i < 200; i++)
        {
            fine.sample(100 * MS); // a constant RTT drives RTTVAR to 0
        }
        assertEquals(0, fine.rttvarNs());
        assertEquals(101 * MS, fine.rtoNs()); // SRTT + G
    }

    @Test
    void rtoIsAtMostTheMaximum()
    {
        final RttEstimator e = new RttEstimator();
        e.sample(50 * S);
        assertEquals(60 * S, e.rtoNs());
    }

    @Test
    void backoffDoublesUpToTheMaximumAndASampleEndsIt()
    {
        final RttEstimator e = new RttEstimator();
        final long[] expected = {2 * S, 4 * S, 8 * S, 16 * S, 32 * S, 60 * S, 60 * S};
        for (final long rto : expected)
        {
            e.backoff(); // RFC 6298 §5.5
            assertEquals(rto, e.rtoNs());
        }
        assertEquals(7, e.backoffs());
        e.resetBackoff();
        assertEquals(S, e.rtoNs());
        e.sample(100 * MS);
        e.backoff();
        assertEquals(600 * MS, e.rtoNs());
        e.sample(100 * MS); // RTTVAR = 3/4 * 50 = 37.5, SRTT 100: 100 + 150
        assertEquals(250 * MS, e.rtoNs());
        assertEquals(0, e.backoffs());
    }

    @Test
    void ignoresNegativeSamples()
    {
        final RttEstimator e = new RttEstimator();
        e.sample(-1);
        assertFalse(e.hasSample());
        assertEquals(S, e.rtoNs());
    }

    @Test
    void startsDataWithThreeSecondsAfterASynTimeoutWithoutSample()
    {
        final RttEstimator e = new RttEstimator();
        e.backoff();
        e.onEstablishedAfterSynTimeout(); // RFC 6298 §5.7
        assertEquals(3 * S, e.rtoNs());
        final RttEstimator sampled = new RttEstimator();
        sampled.sample(100 * MS);
        sampled.onEstablishedAfterSynTimeout();
        assertEquals(300 * MS, sampled.rtoNs());
    }

    @Property
    void rtoStaysWithinBoundsAndAboveSrtt(
        @ForAll @Size(min = 1, max = 50) final List<@LongRange(min = 0, max = 120_000_000_000L) Long> samples,
        @ForAll @LongRange(min = 0, max = 10) final long backoffs)
    {
        final RttEstimator e = new RttEstimator();
        for (final long r : samples)
        {
            e.sample(r);
            assertTrue(e.rtoNs() >= e.minRtoNs() && e.rtoNs() <= e.maxRtoNs());
            assertTrue(e.rtoNs() >= Math.min(e.srttNs() + RttEstimator.DEFAULT_GRANULARITY_NS, e.maxRtoNs()));
            assertTrue(e.rttvarNs() >= 0 && e.srttNs() >= 0);
        }
        long previous = e.rtoNs();
        for (long i = 0; i < backoffs; i++)
        {
            e.backoff();
            assertEquals(Math.min(2 * previous, e.maxRtoNs()), e.rtoNs());
            previous = e.rtoNs();
        }
    }
}
