package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;


import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RACK-TLP (RFC 8985) and the undo of spurious loss episodes (RFC 3708 §3, RFC 4015 §2) together, against a scripted
 * peer: RACK's retransmissions are the episode's, and a tail loss probe belongs to the episode that takes over the loss
 * it may have repaired (§7.4, §9.3), never to an earlier one. As in {@link TcpRackTlpTest}: SACK, MSS 1000, no
 * timestamps, the handshake's round trip 100 ms (SRTT and min_RTT 100 ms, RTO 300 ms, PTO 200 ms, RACK.reo_wnd 25 ms),
 * NewReno; {@code seg(i)} is the first sequence number of the i-th 1,000-byte segment Si.
 */
class TcpRackUndoTest extends RackScriptedTest
{
    private static final int HIGH = Integer.MAX_VALUE;

    private long undone()
    {
        return t.count(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE);
    }

    @Test
    void rfc3708Section3ALossRacksTimerFoundAndADsackDisprovedIsUndone()
    {
        open(tcp ->
        {
        });
        sendSegments(0, 10);
        t.s.advance(RTT);
        ack(seg(0), seg(1), seg(2)); // S0 late: RACK waits its reordering window
        t.s.advance(25 * MS);
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000); // RFC 8985 §6.2 step 5: the timer deems S0 lost
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_RACK_REORDER_TIMEOUTS));
        assertEquals(5_000, c.ssthresh());
        ack(seg(10)); // the original S0 arrived after all
        ack(seg(10), seg(0), seg(1)); // and the retransmission was a duplicate
        assertEquals(1, undone());
        assertEquals(HIGH, c.ssthresh());
    }

    /** S0..S9 sent; no ACK for 200 ms, so the probe resends S9; then S0 (late) deemed lost and resent by RACK. */
    private void probeThenRecovery()
    {
        open(tcp ->
        {
        });
        sendSegments(0, 10);
        t.s.advance(2 * RTT);
        t.expect(ACK | PSH, seg(9), t.peer(1), 1000); // RFC 8985 §7.3: the probe, the last segment again
        t.expectNothing();
        t.s.advance(RTT / 2);
        for (int k = 2; k <= 4; k++)
        {
            ack(seg(0), seg(1), seg(k)); // S1..S3 SACKed: RACK deems S0 lost on the third (DupThresh SACKed)
        }
        t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_SACK_RECOVERIES));
        assertEquals(5_000, c.ssthresh());
    }

    @Test
    void rfc8985Section9p3AProbeInFlightWhenARecoveryBeginsIsOneOfItsRetransmissions()
    {
        probeThenRecovery();
        ack(seg(0), seg(1), seg(10)); // S1..S8, and S9 from the probe: the original S9 was lost
        ack(seg(10)); // the original S0 arrives: the full ACK
        ack(seg(10), seg(0), seg(1)); // S0's retransmission was needless, but the probe repaired S9's loss
        assertEquals(0, undone(), "the recovery's response covers the loss the probe repaired");
        assertEquals(5_000, c.ssthresh());
    }

    @Test
    void rfc3708Section3TheRecoveryAProbePrecededIsUndoneWhenTheProbeWasNeedlessToo()
    {
        probeThenRecovery();
        ack(seg(0), seg(9), seg(10), seg(1), seg(10)); // the probe arrived as a duplicate of S9: a D-SACK
        ack(seg(10));
        ack(seg(10), seg(0), seg(1));
        assertEquals(1, undone(), "every retransmission of the episode, the probe's too, was needless");
        assertEquals(HIGH, c.ssthresh());
    }

    @Test
    void rfc8985Section7p4p2TheReductionForALossTheProbeRepairedIsNotUndoneByALaterNeedlessProbe()
    {
        open(tcp -> tcp.minRtoNs(SECOND)); // the RTO (1 s) out of the way
        sendSegments(0, 10);
        t.s.advance(RTT);
        ack(seg(9)); // S9 lost
        t.s.advance(400 * MS); // PTO = 2 · SRTT + WCDelAckT with one segment in flight
        t.expect(ACK | PSH, seg(9), t.peer(1), 1000);
        t.s.advance(RTT);
        ack(seg(10)); // only the probe arrived
        sendSegments(10, 1);
        t.s.advance(RTT);
        ack(seg(11)); // beyond TLP.end_seq without a D-SACK: the probe repaired a loss (§7.4.2)
        assertEquals(1, t.count(Counter.TCP_TLP_RECOVERIES));
        assertEquals(2_000, c.ssthresh());
        sendSegments(11, 1);
        t.s.advance(400 * MS);
        t.expect(ACK | PSH, seg(11), t.peer(1), 1000); // a second probe, S11 again
        t.s.advance(RTT);
        ack(seg(12), seg(11), seg(12)); // S11 and the probe both arrived: the probe was a duplicate
        assertEquals(1, t.count(Counter.TCP_DSACKS_RX));
        assertEquals(0, undone(), "the needless probe is no retransmission of the episode before it");
        assertEquals(2_000, c.ssthresh());
    }

    @Test
    void rfc3708Section3ATimeoutAfterAProbeIsUndoneOnlyWhenTheProbeWasNeedlessToo()
    {
        open(tcp ->
        {
        });
        sendSegments(0, 10);
        t.s.advance(2 * RTT);
        t.expect(ACK | PSH, seg(9), t.peer(1), 1000); // the probe
        t.s.advance(3 * RTT); // RFC 8985 §7.3: the RTO re-armed from the probe
        t.expect(ACK, seg(0), t.peer(1), 1000); // go-back: one segment (cwnd = LW)
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_RTO_EXPIRIES));
        ack(seg(10)); // the ACKs were only late
        ack(seg(10), seg(0), seg(1)); // the timeout's retransmission was needless
        assertEquals(0, undone(), "the probe, in flight when the timer fired, is one of the episode's");
        ack(seg(10), seg(9), seg(10)); // and so was the probe
        assertEquals(1, undone());
        assertEquals(HIGH, c.ssthresh());
    }
}
