package io.tapstack.tcp;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NewReno window arithmetic against values worked by hand from RFC 5681, RFC 6582 and RFC 6928. SMSS is
 * 1000 bytes throughout so the numbers read easily; sequence numbers start near the 2^32 wrap.
 */
class NewRenoTest
{
    private static final int MSS = 1000;
    private static final int HIGH = Integer.MAX_VALUE;
    private static final int ISS = 0xFFFF_F000;

    private final List<String> trace = new ArrayList<>();
    private final NewReno cc = new NewReno();
    private long now;

    NewRenoTest()
    {
        cc.listener((reason, cwnd, ssthresh, nowNs) -> trace.add(reason + " " + cwnd + " " + ssthresh));
    }

    private void expect(final int cwnd, final int ssthresh)
    {
        assertEquals(cwnd, cc.cwnd(), "cwnd");
        assertEquals(ssthresh, cc.ssthresh(), "ssthresh");
    }

    /**
     * Where a new recovery may begin: RFC 6582 §3.2 step 2's guard (the ACK covers more than recover: ack_number - 1 &gt;
     * the highest octet sent, so SEG.ACK &gt; SND.NXT as it was) holds for recovery without SACK only; RFC 6675 §5 has
     * none, except that after a timeout no SACK recovery begins before the ACK reaches its RecoveryPoint (§5.1).
     */
    @Test
    void rfc6582Section3p2GuardsRecoveryWithoutSackAndRfc6675Section5p1OnlyAfterATimeout()
    {
        final int sndUna = ISS + 1;
        cc.init(MSS, now);
        final int recover = sndUna + 10_000;
        assertTrue(cc.onSackRecoveryStart(sndUna, 10_000, recover, ++now));
        cc.onFullAck(0, ++now); // the cumulative ACK of exactly RecoveryPoint
        assertFalse(cc.onThirdDuplicateAck(recover, 2 * MSS, recover + 2 * MSS, ++now), "no more than recover");
        assertTrue(cc.onSackRecoveryStart(recover, 2 * MSS, recover + 2 * MSS, ++now), "RFC 6675 §5: no guard");
        cc.onFullAck(0, ++now);

        final NewReno plain = new NewReno();
        plain.init(MSS, now);
        assertTrue(plain.onThirdDuplicateAck(sndUna, 10_000, recover, ++now));
        plain.onFullAck(0, ++now);
        assertFalse(plain.onThirdDuplicateAck(recover, 2 * MSS, recover + 2 * MSS, ++now));
        assertTrue(plain.onThirdDuplicateAck(recover + 1, 2 * MSS, recover + 2 * MSS, ++now), "one octet more");

        final NewReno timedOut = new NewReno();
        timedOut.init(MSS, now);
        timedOut.onRetransmissionTimeout(10_000, recover, ++now);
        assertFalse(timedOut.onSackRecoveryStart(recover - MSS, 9_000, recover, ++now), "RFC 6675 §5.1");
        timedOut.onAck(10_000, 10_000, ++now);
        assertTrue(timedOut.onSackRecoveryStart(recover, 2 * MSS, recover + 2 * MSS, ++now), "HighACK >= RecoveryPoint");
    }

    /** Slow start from IW 10 to a loss, fast retransmit, partial ACKs, full ACK, avoidance, two timeouts. */
    @Test
    void followsTheGoldenTrace()
    {
        int sndUna = ISS + 1;
        int sndNxt = sndUna;
        cc.init(MSS, now);
        expect(10_000, HIGH);                                  // RFC 6928: min(10000, max(2000, 14600))

        sndNxt += 10_000;                                      // IW: 10 segments out
        for (int i = 1; i <= 10; i++)
        {
            cc.onAck(MSS, sndNxt - sndUna, ++now);              // RFC 5681 eq. 2: + min(1000, 1000)
            sndUna += MSS;
            sndNxt += 2 * MSS;                                  // each ACK releases two segments
            expect(10_000 + i * MSS, HIGH);
        }
        cc.onAck(2 * MSS, sndNxt - sndUna, ++now);              // a delayed ACK counts one SMSS only
        sndUna += 2 * MSS;
        expect(21_000, HIGH);
        assertEquals(18_000, sndNxt - sndUna);

        // the segment at sndUna is lost; three duplicate ACKs
        assertTrue(cc.onThirdDuplicateAck(sndUna, sndNxt - sndUna, sndNxt, ++now));
        expect(12_000, 9_000);                                 // ssthresh = max(18000/2, 2000); cwnd = 9000 + 3000
        assertTrue(cc.inRecovery());
        final int recover = sndNxt;
        assertEquals(recover, cc.recover());
        cc.onDuplicateAckInRecovery(++now);
        expect(13_000, 9_000);
        cc.onDuplicateAckInRecovery(++now);
        expect(14_000, 9_000);

        sndUna += 3 * MSS;                                     // partial ACK of 3000 bytes
        assertFalse(cc.isFullAck(sndUna));
        cc.onPartialAck(3 * MSS, ++now);
        expect(12_000, 9_000);                                 // 14000 - 3000 + 1000
        sndUna += 500;                                         // partial ACK of 500: no SMSS added back
        assertFalse(cc.isFullAck(sndUna));
        cc.onPartialAck(500, ++now);
        expect(11_500, 9_000);
        sndNxt += 4 * MSS;                                     // new data sent during recovery
        sndUna = recover;                                      // full ACK
        assertTrue(cc.isFullAck(sndUna));
        cc.onFullAck(sndNxt - sndUna, ++now);
        expect(5_000, 9_000);                                  // min(9000, max(4000, 1000) + 1000)
        assertFalse(cc.inRecovery());

        // duplicates for data sent before recover must not start another recovery (RFC 6582 §3.2 step 2)
        assertFalse(cc.onThirdDuplicateAck(recover, sndNxt - sndUna, sndNxt, ++now));
        expect(5_000, 9_000);

        for (int i = 1; i <= 4; i++)                           // slow start again up to ssthresh
        {
            cc.onAck(MSS, sndNxt - sndUna, ++now);
            sndUna += MSS;
            sndNxt += 2 * MSS;
        }
        expect(9_000, 9_000);
        for (int i = 1; i <= 8; i++)                           // congestion avoidance: 8 * 1000 < 9000
        {
            cc.onAck(MSS, sndNxt - sndUna, ++now);
            sndUna += MSS;
            sndNxt += MSS;
        }
        expect(9_000, 9_000);
        cc.onAck(MSS, sndNxt - sndUna, ++now);                 // 9000 bytes acked: one SMSS more
        sndUna += MSS;
        expect(10_000, 9_000);
        for (int i = 1; i <= 4; i++)                           // 4 * 2500 = 10000: one SMSS more
        {
            cc.onAck(2_500, sndNxt - sndUna, ++now);
            sndUna += 2_500;
            sndNxt += 2_500;
        }
        expect(11_000, 9_000);

        final int flight = 11_000;
        sndNxt = sndUna + flight;
        cc.onRetransmissionTimeout(flight, sndNxt, ++now);
        expect(1_000, 5_500);                                  // ssthresh = max(11000/2, 2000); LW = 1 SMSS
        cc.onRetransmissionTimeout(flight, sndNxt, ++now);     // again, before any ACK: ssthresh held
        expect(1_000, 5_500);
        assertFalse(cc.onThirdDuplicateAck(sndUna, flight, sndNxt, ++now)); // not past recover
        cc.onAck(MSS, flight, ++now);
        sndUna += MSS;
        expect(2_000, 5_500);
        cc.onRetransmissionTimeout(flight - MSS, sndNxt, ++now); // an ACK came in between: recomputed
        expect(1_000, 5_000);

        assertEquals(List.of(
            "init 10000 2147483647",
            "slow-start 11000 2147483647", "slow-start 12000 2147483647", "slow-start 13000 2147483647",
            "slow-start 14000 2147483647", "slow-start 15000 2147483647", "slow-start 16000 2147483647",
            "slow-start 17000 2147483647", "slow-start 18000 2147483647", "slow-start 19000 2147483647",
            "slow-start 20000 2147483647", "slow-start 21000 2147483647",
            "fast-retransmit 12000 9000",
            "recovery-inflate 13000 9000", "recovery-inflate 14000 9000",
            "partial-ack 12000 9000", "partial-ack 11500 9000",
            "full-ack 5000 9000",
            "slow-start 6000 9000", "slow-start 7000 9000", "slow-start 8000 9000", "slow-start 9000 9000",
            "congestion-avoidance 10000 9000", "congestion-avoidance 11000 9000",
            "rto 1000 5500", "rto 1000 5500",
            "slow-start 2000 5500",
            "rto 1000 5000"), trace);
    }

    @Test
    void initialWindowFollowsRfc6928()
    {
        assertEquals(5_360, NewReno.initialWindow(536, 0));     // 10 * 536
        assertEquals(14_600, NewReno.initialWindow(1460, 0));   // min(14600, max(2920, 14600))
        assertEquals(14_600, NewReno.initialWindow(4000, 0));   // min(40000, max(8000, 14600))
        assertEquals(18_000, NewReno.initialWindow(9000, 0));   // min(90000, max(18000, 14600))
        assertEquals(4_380, NewReno.initialWindow(1460, 3));    // override: 3 segments
        final NewReno iw4 = new NewReno(4);
        iw4.init(1460, 0);
        assertEquals(5_840, iw4.cwnd());
    }

    @Test
    void synLossLimitsTheInitialWindowToOneSegment()
    {
        cc.init(MSS, 0);
        cc.onSynRetransmitted(0);
        expect(1_000, HIGH);
    }

    @Test
    void ssthreshIsAtLeastTwoSegments()
    {
        cc.init(MSS, 0);
        assertTrue(cc.onThirdDuplicateAck(ISS, 3_000, ISS + 3_000, 0));
        expect(5_000, 2_000);                                  // max(1500, 2000) + 3 * 1000
        cc.init(MSS, 0);
        cc.onRetransmissionTimeout(1_000, ISS + 1_000, 0);
        expect(1_000, 2_000);
    }

    @Test
    void fullAckWithLittleOutstandingAvoidsABurst()
    {
        cc.init(MSS, 0);
        cc.onThirdDuplicateAck(ISS, 20_000, ISS + 20_000, 0);
        cc.onFullAck(0, 0);
        expect(2_000, 10_000);                                 // min(10000, max(0, 1000) + 1000)
    }

    @Test
    void restartsFromTheInitialWindowAfterIdlingLongerThanRto()
    {
        cc.init(MSS, 0);
        for (int i = 0; i < 10; i++)
        {
            cc.onAck(MSS, 20_000, 0);
        }
        expect(20_000, HIGH);
        cc.onIdle(1_000_000_000L, 1_000_000_000L, 0);          // not longer than RTO
        expect(20_000, HIGH);
        cc.onIdle(1_000_000_001L, 1_000_000_000L, 0);          // RFC 5681 §4.1: min(IW, cwnd)
        expect(10_000, HIGH);
        cc.onRetransmissionTimeout(10_000, ISS, 0);
        cc.onIdle(5_000_000_000L, 1_000_000_000L, 0);          // min(IW, cwnd) keeps a smaller cwnd
        expect(1_000, 5_000);
    }

    @Test
    void worksWithoutAListener()
    {
        final NewReno quiet = new NewReno();
        quiet.init(MSS, 0);
        quiet.onAck(MSS, MSS, 0);
        assertEquals(11_000, quiet.cwnd());
    }

    /** One event: 0 ack, 1 third dupack, 2 dupack in recovery, 3 ack in recovery, 4 timeout, 5 idle. */
    record Event(int kind, int amount)
    {
    }

    @Provide
    Arbitrary<List<Event>> events()
    {
        return Arbitraries.integers().between(0, 5)
            .flatMap(k -> Arbitraries.integers().between(0, 200_000).map(a -> new Event(k, a)))
            .list().ofMaxSize(200);
    }

    @Property
    void windowStaysWithinBoundsWhateverHappens(
        @ForAll @IntRange(min = 1, max = 9000) final int mss, @ForAll("events") final List<Event> events)
    {
        final NewReno r = new NewReno();
        r.init(mss, 0);
        int sndUna = ISS;
        int sndNxt = ISS;
        boolean lost = false;
        for (final Event e : events)
        {
            final int amount = e.amount();
            switch (e.kind())
            {
                case 0 ->
                {
                    sndNxt += amount;
                    if (!r.inRecovery())
                    {
                        r.onAck(amount, sndNxt - sndUna, 0);
                        sndUna = sndNxt;
                    }
                }
                case 1 ->
                {
                    lost |= r.onThirdDuplicateAck(sndUna, amount, sndNxt, 0);
                }
                case 2 -> r.onDuplicateAckInRecovery(0);
                case 3 ->
                {
                    if (r.inRecovery())
                    {
                        final int acked = Math.min(amount, sndNxt - sndUna);
                        sndUna += acked;
                        if (r.isFullAck(sndUna))
                        {
                            r.onFullAck(sndNxt - sndUna, 0);
                        }
                        else
                        {
                            r.onPartialAck(acked, 0);
                        }
                    }
                }
                case 4 ->
                {
                    r.onRetransmissionTimeout(amount, sndNxt, 0);
                    lost = true;
                }
                default -> r.onIdle(amount, 100_000, 0);
            }
            assertTrue(r.cwnd() >= mss && r.cwnd() <= NewReno.MAX_CWND, "cwnd " + r.cwnd());
            assertTrue(lost ? r.ssthresh() >= 2 * mss : r.ssthresh() == HIGH, "ssthresh " + r.ssthresh());
        }
    }
}
