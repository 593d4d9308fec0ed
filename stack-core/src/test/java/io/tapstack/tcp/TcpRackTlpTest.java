package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;


import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RACK-TLP (RFC 8985) against a scripted peer, one rule per test. The peer opens with SACK and MSS 1000 (no
 * timestamps) and answers the SYN-ACK after 100 ms, so SRTT and RACK.min_RTT start at 100 ms, RTTVAR at 50 ms and the
 * RTO at 300 ms; with no reordering seen and fewer than three segments SACKed, RACK.reo_wnd is min_RTT / 4 = 25 ms.
 * {@code seg(i)} is the first sequence number of the i-th 1,000-byte segment Si; NewReno keeps the windows simple.
 */
class TcpRackTlpTest extends RackScriptedTest
{
    /** Opens and sends S0..S{n-1} at once (at most the initial window of ten). */
    private void segmentsInFlight(final int n)
    {
        open(tcp ->
        {
        });
        sendSegments(0, n);
    }

    private long count(final Counter counter)
    {
        return t.count(counter);
    }

    // ------------------------------------------------------------------------------------------------ RACK, §6.2

    @Test
    void rfc8985Section6p2Step5ReorderingWithinTheReorderingWindowIsNotALoss()
    {
        segmentsInFlight(10);
        t.s.advance(RTT);
        ack(seg(0), seg(1), seg(2)); // S1 delivered, S0 not yet: it may be late, not lost
        t.expectNothing();
        t.s.advance(10 * MS);
        ack(seg(2)); // S0 arrives within RACK.reo_wnd (25 ms)
        t.s.advance(20 * MS); // past where the reordering timer was
        t.expectNothing();
        assertEquals(0, count(Counter.TCP_RACK_LOSSES_DETECTED));
        assertEquals(0, count(Counter.TCP_RETRANSMITTED_SEGMENTS));
        assertEquals(0, count(Counter.TCP_SACK_RECOVERIES));
    }

    @Test
    void rfc8985Section6p2Step5ASegmentSentMoreThanTheReorderingWindowBeforeADeliveredOneIsLost()
    {
        open(tcp ->
        {
        });
        t.write(c, bytes(1000));
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.s.advance(50 * MS);
        t.write(c, bytes(1000));
        t.expect(ACK | PSH, seg(1), t.peer(1), 1000);
        t.s.advance(RTT);
        // S1, sent 50 ms after S0, is delivered: S0 is older than RACK.xmit_ts by more than RACK.reo_wnd (25 ms),
        // and RACK.rtt (100 ms) + reo_wnd have passed since it was sent: lost at once, on one duplicate ACK
        ack(seg(0), seg(1), seg(2));
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, count(Counter.TCP_RACK_LOSSES_DETECTED));
        assertEquals(0, count(Counter.TCP_RACK_REORDER_TIMEOUTS));
        assertEquals(1, count(Counter.TCP_SACK_RECOVERIES), "recovery entered on a RACK-detected loss");
        assertEquals(1, count(Counter.TCP_DUP_ACKS_RX), "far below DupThresh");
    }

    @Test
    void rfc8985Section6p2Step5TheReorderingTimerMarksTheLossWhenTheWindowPasses()
    {
        segmentsInFlight(10);
        t.s.advance(RTT);
        ack(seg(0), seg(1), seg(2)); // S0 sent with S1: its window passes in RACK.reo_wnd = 25 ms
        t.s.advance(24 * MS);
        t.expectNothing();
        t.s.advance(MS);
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, count(Counter.TCP_RACK_REORDER_TIMEOUTS));
        assertEquals(1, count(Counter.TCP_RACK_LOSSES_DETECTED));
        assertEquals(1, count(Counter.TCP_SACK_RECOVERIES));
        assertEquals(0, count(Counter.TCP_RTO_EXPIRIES));
    }

    @Test
    void rfc8985Section6p2Step4NoReorderingWindowOnceDupThreshSegmentsAreSacked()
    {
        segmentsInFlight(10);
        t.s.advance(RTT);
        ack(seg(0), seg(1), seg(4)); // three segments SACKed, no reordering seen: RACK.reo_wnd = 0
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, count(Counter.TCP_RACK_LOSSES_DETECTED));
        assertEquals(0, count(Counter.TCP_RACK_REORDER_TIMEOUTS));
    }

    @Test
    void rfc8985Section6p2Step4DsackGrowsTheReorderingWindow()
    {
        segmentsInFlight(10);
        t.s.advance(RTT);
        ack(seg(0), seg(1), seg(2));
        t.s.advance(25 * MS);
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000); // S0 deemed lost after 25 ms; it was only late
        ack(seg(2));
        ack(seg(10));
        ack(seg(10), seg(0), seg(1)); // the retransmission arrived as a duplicate: a D-SACK (RFC 2883)
        assertEquals(1, count(Counter.TCP_RACK_REO_WND_INCREASES));
        t.expectNothing();

        sendSegments(10, 1);
        t.s.advance(RTT);
        ack(seg(11)); // past RFC 6582's recover, so that a new recovery may begin

        // RACK.reo_wnd_mult is 2 now: the window is 2 · min_RTT / 4 = 50 ms
        sendSegments(11, 2);
        t.s.advance(RTT);
        ack(seg(11), seg(12), seg(13));
        t.s.advance(49 * MS);
        t.expectNothing();
        t.s.advance(MS);
        t.expect(ACK | PSH, seg(11), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(2, count(Counter.TCP_RACK_REORDER_TIMEOUTS));
    }

    @Test
    void rfc8985Section6p2InRecoveryASegmentInsideTheReorderingWindowIsNotResent()
    {
        segmentsInFlight(10);
        t.s.advance(RTT);
        ack(seg(0), seg(1), seg(2));
        t.s.advance(10 * MS);
        ack(seg(2)); // S0 was late: reordering seen, the window stays min_RTT / 4 in recovery too
        ack(seg(10));
        sendSegments(10, 5);
        t.s.advance(30 * MS);
        sendSegments(15, 5);
        t.s.advance(RTT);
        // S10 (sent 130 ms ago) is past RACK.rtt + reo_wnd, S15 (100 ms ago, like S16-S19) is not
        ack(seg(10), seg(16), seg(20), seg(11), seg(15));
        t.expect(ACK | PSH, seg(10), t.peer(1), 1000);
        t.expectNothing(); // cwnd - pipe leaves room, but RFC 6675's rule 3 would resend S15 before its time
        t.s.advance(25 * MS);
        t.expect(ACK | PSH, seg(15), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(2, count(Counter.TCP_RACK_LOSSES_DETECTED));
    }

    @Test
    void rfc8985Section6p2ALostRetransmissionIsDetectedWithoutAnRto()
    {
        segmentsInFlight(10);
        t.s.advance(RTT);
        ack(seg(0), seg(1), seg(4)); // S0 lost: resent at once (reo_wnd 0 with three SACKed)
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.s.advance(10 * MS);
        // RFC 6937 §3: the ACK that began the recovery delivered S1..S3, and PRR's proportional part (ssthresh /
        // RecoverFS = 1/2 of it, in whole segments: 2) less S0's retransmission leaves room for one more segment
        t.write(c, bytes(2000));
        t.expect(ACK, seg(10), t.peer(1), 1000);
        t.expectNothing();
        ack(seg(0), seg(1), seg(10)); // S1..S9 SACKed: the rest of the new data goes
        t.expect(ACK | PSH, seg(11), t.peer(1), 1000);
        t.expectNothing();
        t.s.advance(RTT);
        // S10, sent after S0's retransmission, is delivered and the retransmission is not: it was lost too
        ack(seg(0), seg(10), seg(11), seg(1), seg(10));
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, count(Counter.TCP_RACK_LOST_RETRANSMISSIONS));
        assertEquals(0, count(Counter.TCP_RTO_EXPIRIES));
        assertEquals(1, count(Counter.TCP_SACK_RECOVERIES), "one recovery for both");
    }

    @Test
    void rfc8985Section6p1ARetransmissionSentAfterNewDataInTheSameInstantIsNotTakenForOlder()
    {
        segmentsInFlight(10);
        t.write(c, bytes(5000));
        t.s.advance(RTT);
        // three ACKs in one instant (one duty cycle): the first two let new data out (RFC 6675 §5 step (3.3)), the
        // third makes RACK deem S0 lost; so S0's retransmission goes after S10 and S11, at the same clock reading
        ack(seg(0), seg(1), seg(2));
        ack(seg(0), seg(1), seg(3));
        t.expect(ACK, seg(10), t.peer(1), 1000);
        t.expect(ACK, seg(11), t.peer(1), 1000);
        ack(seg(0), seg(1), seg(4));
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        t.s.advance(RTT);
        // S10 and S11 arrive before S0's retransmission, which was sent after them: it is not lost (RACK_sent_after
        // breaks a tie of times by sequence, which would call it older; each transmission's time is its own)
        ack(seg(0), seg(1), seg(12));
        TcpScript.Seg s;
        while ((s = t.nextOrNull()) != null)
        {
            assertTrue(s.seq() != seg(0), "S0 sent again: " + s); // new data only, as PRR lets it
        }
        assertEquals(0, count(Counter.TCP_RACK_LOST_RETRANSMISSIONS));
        assertEquals(1, count(Counter.TCP_RETRANSMITTED_SEGMENTS));
    }

    /**
     * RFC 6675 §5 (C) resends while cwnd - pipe is at least one SMSS; a lost segment shorter than that needs only its
     * own length. Twenty 500-byte segments (Nagle off), RFC 6675's fixed window (PRR off): S0 lost, recovery with cwnd =
     * 5,000; when S11 is SACKed, S10 below it is lost, and pipe is S0's retransmission and S12..S19, 4,500 bytes. The
     * 500 bytes of room take S10 at once, where a full SMSS of room would have waited for an ACK that does not come.
     */
    @Test
    void rfc6675Section5CALostSegmentShorterThanSmssNeedsOnlyItsOwnRoom()
    {
        open(tcp -> tcp.nagle(false).prr(false).minRtoNs(SECOND));
        final int half = 500;
        for (int i = 0; i < 20; i++)
        {
            t.write(c, bytes(half));
            t.expect(ACK | PSH, t.stack(1 + half * i), t.peer(1), half);
        }
        t.expectNothing();
        t.s.advance(RTT);
        for (int k = 2; k <= 4; k++)
        {
            ack(t.stack(1), t.stack(1 + half), t.stack(1 + half * k)); // S1..S3 SACKed: S0 lost
        }
        t.expect(ACK | PSH, t.stack(1), t.peer(1), half);
        t.expectNothing();
        assertEquals(5_000, c.cwnd());
        ack(t.stack(1), t.stack(1 + half), t.stack(1 + half * 10)); // S1..S9
        t.expectNothing(); // pipe 5,500
        ack(t.stack(1), t.stack(1 + half * 11), t.stack(1 + half * 12), t.stack(1 + half), t.stack(1 + half * 10));
        t.expect(ACK | PSH, t.stack(1 + half * 10), t.peer(1), half); // S10 lost, in 500 bytes of room
        t.expectNothing();
    }

    /**
     * RFC 6675 §5 (4.3) with RACK on: the third duplicate ACK enters recovery even when RACK deemed nothing lost (here
     * each ACK SACKs only a part of S1, so no whole segment was delivered and RACK.xmit_ts never moved), and that
     * entry resends SND.UNA. Only an entry for a loss RACK found, and already resent, sends nothing.
     */
    @Test
    void rfc6675Section5Step4p3ADupThreshEntryWithNothingRackDeemedLostResendsSndUna()
    {
        segmentsInFlight(10);
        t.s.advance(RTT);
        ack(seg(0), seg(1), seg(1) + 100);
        ack(seg(0), seg(1), seg(1) + 200);
        t.expectNothing();
        ack(seg(0), seg(1), seg(1) + 300);
        assertEquals(1, count(Counter.TCP_SACK_RECOVERIES));
        assertEquals(0, count(Counter.TCP_RACK_LOSSES_DETECTED), "RACK deemed nothing lost");
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, count(Counter.TCP_FAST_RETRANSMITS));
    }

    /**
     * RFC 6675 §6 (the careful variant, as Linux does): SND.UNA resent in recovery re-arms the retransmission timer.
     * S0..S9 leave at 0 with the RTO at 300 ms; the ACKs that show S0 lost come late, at 250 ms, and S0 is resent
     * then. Its ACK cannot come before 350 ms (one RTT), so an RTO still due at 300 ms would fire needlessly and go
     * back to S0; re-armed, it is due at 550 ms. RACK-TLP is off: its probe would come first (RFC 8985 §7.2).
     */
    @Test
    void rfc6675Section6SndUnaResentInRecoveryReArmsTheRetransmissionTimer()
    {
        open(tcp -> tcp.rack(false));
        sendSegments(0, 10);
        t.s.advance(250 * MS);
        ack(seg(0), seg(1), seg(2));
        ack(seg(0), seg(1), seg(3));
        ack(seg(0), seg(1), seg(4));
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        t.s.advance(100 * MS); // past 300 ms
        t.expectNothing();
        assertEquals(0, count(Counter.TCP_RTO_EXPIRIES), "no timeout while S0's retransmission has its RTT to go");
        ack(seg(10)); // S0's retransmission arrived: everything is acknowledged
        t.expectNothing();
        assertEquals(0, count(Counter.TCP_RTO_EXPIRIES));
    }

    // ------------------------------------------------------------------------------------------------ TLP, §7

    @Test
    void rfc8985Section7ALostTailIsProbedAfterThePtoAndRecoveredWithoutAnRto()
    {
        segmentsInFlight(10);
        t.s.advance(RTT);
        ack(seg(7)); // S7..S9 lost; RTO 250 ms from now, PTO 2 · SRTT = 200 ms
        t.s.advance(199 * MS);
        t.expectNothing();
        t.s.advance(MS);
        t.expect(ACK | PSH, seg(9), t.peer(1), 1000); // the probe: the last segment again
        t.expectNothing();
        t.s.advance(RTT);
        ack(seg(7), seg(9), seg(10)); // the probe's ACK: RACK finds S7 and S8 lost
        t.expect(ACK | PSH, seg(7), t.peer(1), 1000);
        t.expect(ACK | PSH, seg(8), t.peer(1), 1000);
        t.expectNothing();
        ack(seg(10));
        t.expectNothing();
        assertEquals(1, count(Counter.TCP_TLP_PROBES));
        assertEquals(2, count(Counter.TCP_RACK_LOSSES_DETECTED));
        assertEquals(1, count(Counter.TCP_SACK_RECOVERIES));
        assertEquals(0, count(Counter.TCP_RTO_EXPIRIES));
        assertEquals(0, count(Counter.TCP_TLP_RECOVERIES), "the recovery made the congestion response");
    }

    @Test
    void rfc8985Section7p2OneSegmentInFlightAddsTheWorstCaseDelayedAck()
    {
        open(tcp -> tcp.minRtoNs(SECOND)); // the RTO (1 s) out of the way
        sendSegments(0, 10);
        t.s.advance(RTT);
        ack(seg(9)); // S9 alone in flight: PTO = 2 · SRTT + WCDelAckT = 400 ms
        t.s.advance(399 * MS);
        t.expectNothing();
        t.s.advance(MS);
        t.expect(ACK | PSH, seg(9), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, count(Counter.TCP_TLP_PROBES));
    }

    @Test
    void rfc8985Section7p2TheProbeIsNeverLaterThanTheRto()
    {
        segmentsInFlight(10);
        t.s.advance(RTT);
        ack(seg(9)); // PTO would be 400 ms, the RTO fires in 250 ms: the probe goes then, in its place
        t.s.advance(249 * MS);
        t.expectNothing();
        t.s.advance(MS);
        t.expect(ACK | PSH, seg(9), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, count(Counter.TCP_TLP_PROBES));
        assertEquals(0, count(Counter.TCP_RTO_EXPIRIES));
        assertEquals(11_000, c.cwnd(), "slow start's window, not a timeout's loss window");
    }

    @Test
    void rfc8985Section7p3AProbeSendsNewDataThenOnlyTheRtoIsLeft()
    {
        segmentsInFlight(10);
        t.write(c, bytes(5000)); // beyond cwnd: waits
        t.expectNothing();
        t.s.advance(199 * MS); // no ACK at all; PTO 2 · SRTT = 200 ms, RTO 300 ms
        t.expectNothing();
        t.s.advance(MS);
        t.expect(ACK, seg(10), t.peer(1), 1000); // new data, past cwnd
        t.expectNothing();
        t.s.advance(299 * MS); // one probe per episode; the RTO re-armed from the probe (RFC 8985 §7.3)
        t.expectNothing();
        t.s.advance(MS);
        t.expect(ACK, seg(0), t.peer(1), 1000);
        assertEquals(1, count(Counter.TCP_TLP_PROBES));
        assertEquals(1, count(Counter.TCP_RTO_EXPIRIES));
    }

    /** S0..S9 sent, S0..S8 acknowledged, S9 probed after 400 ms (the RTO is 1 s). */
    private void lastSegmentProbed()
    {
        open(tcp -> tcp.minRtoNs(SECOND));
        sendSegments(0, 10);
        t.s.advance(RTT);
        ack(seg(9));
        t.s.advance(400 * MS);
        t.expect(ACK | PSH, seg(9), t.peer(1), 1000);
        t.s.advance(RTT);
        ack(seg(10));
    }

    @Test
    void rfc8985Section7p4p2AProbeThatRepairedTheOnlyLossGetsTheCongestionResponse()
    {
        lastSegmentProbed(); // only the probe arrived: no D-SACK follows
        assertEquals(Integer.MAX_VALUE, c.ssthresh(), "not known yet: the original may come");
        t.write(c, bytes(1000));
        t.expect(ACK | PSH, seg(10), t.peer(1), 1000);
        ack(seg(11)); // beyond TLP.end_seq without a D-SACK: the probe repaired a loss
        assertEquals(1, count(Counter.TCP_TLP_RECOVERIES));
        assertEquals(2000, c.ssthresh(), "FlightSize / 2, at least 2 SMSS (RFC 5681 equation 4)");
        assertEquals(0, count(Counter.TCP_RTO_EXPIRIES));
    }

    @Test
    void rfc8985Section7p4ADsackOfTheProbeMeansNothingWasLost()
    {
        lastSegmentProbed(); // the original arrived (late), then the probe: a duplicate
        ack(seg(10), seg(9), seg(10));
        t.write(c, bytes(1000));
        t.expect(ACK | PSH, seg(10), t.peer(1), 1000);
        ack(seg(11));
        assertEquals(0, count(Counter.TCP_TLP_RECOVERIES));
        assertEquals(Integer.MAX_VALUE, c.ssthresh());
    }

    @Test
    void withRackOffNeitherTheReorderingTimerNorAProbeRuns()
    {
        open(tcp -> tcp.rack(false));
        sendSegments(0, 10);
        t.s.advance(RTT);
        ack(seg(0), seg(1), seg(2));
        t.s.advance(199 * MS);
        t.expectNothing(); // RFC 6675 alone: IsLost(S0) needs three segments SACKed; the RTO (300 ms) fires next
        t.s.advance(MS);
        t.expect(ACK, seg(0), t.peer(1), 1000);
        assertEquals(0, count(Counter.TCP_TLP_PROBES));
        assertEquals(0, count(Counter.TCP_RACK_REORDER_TIMEOUTS));
        assertEquals(1, count(Counter.TCP_RTO_EXPIRIES));
    }
}
