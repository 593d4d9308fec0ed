package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPermitted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sender's SACK scoreboard (RFC 6675 §4-5, RFC 2018 §8) and RFC 6675 loss recovery, one rule per test against a
 * scripted peer. Each test sends ten 1,000-byte segments S0..S9 (MSS 1000, no timestamps, the initial window of
 * 10,000 bytes); {@code seg(i)} is the first sequence number of Si, {@code seg(10)} is SND.MAX.
 */
class TcpSackRecoveryTest
{
    // RFC 6675 §5 step 4.2 with RFC 5681 equation 4 (FlightSize / 2): these rules are checked with NewReno, without
    // RACK-TLP, which replaces IsLost() with its own marks (RFC 8985; TcpRackTlpTest), and with RFC 6675's own window
    // (cwnd = ssthresh, cwnd - pipe): PRR (RFC 6937), which replaces it, is TcpPrrTest's
    private final TcpScript t = new TcpScript(c -> c.congestionControl(CongestionAlgorithm.NEWRENO).rack(false)
        .prr(false));
    private TcpConnection c;

    private int seg(final int i)
    {
        return t.stack(1 + 1000 * i);
    }

    /** A passive open with SACK and MSS 1000, then ten segments written and sent. */
    private void tenSegmentsInFlight()
    {
        t.listen(4);
        t.synToListener(options(mss(1000), sackPermitted()));
        t.send(ACK, t.peer(1), t.stack(1));
        c = t.accepted.remove(0);
        t.write(c, bytes(10_000));
        for (int i = 0; i < 10; i++)
        {
            t.expect(ACK | (i == 9 ? TcpScript.PSH : 0), seg(i), t.peer(1), 1000);
        }
        t.expectNothing();
    }

    /** An ACK from the peer of everything before {@code ack} with SACK blocks as edges. */
    private void ack(final int ack, final int... edges)
    {
        t.send(ACK, t.peer(1), ack, t.peerWindow, edges.length > 0 ? sack(edges) : NONE, NONE);
    }

    @Test
    void rfc6675Section2ADuplicateAckMustSackNewData()
    {
        tenSegmentsInFlight();
        for (int i = 0; i < 4; i++)
        {
            ack(seg(0), seg(1), seg(2));
        }
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_DUP_ACKS_RX), "only the first SACKed new data");
        assertEquals(4, t.count(Counter.TCP_SACK_BLOCKS_RX));
    }

    @Test
    void rfc6675Section5BlocksBelowSndUnaOrAboveSndMaxAreIgnored()
    {
        tenSegmentsInFlight();
        ack(seg(1));
        for (int i = 0; i < 3; i++)
        {
            ack(seg(1), seg(0), seg(1)); // below SND.UNA: a D-SACK (RFC 2883 §4)
            ack(seg(1), seg(10), seg(11)); // above SND.MAX
            ack(seg(1), seg(3), seg(2)); // left edge not below the right
        }
        t.expectNothing();
        assertEquals(0, t.count(Counter.TCP_DUP_ACKS_RX));
        assertEquals(3, t.count(Counter.TCP_DSACKS_RX));
        assertEquals(0, t.count(Counter.TCP_SACK_RECOVERIES));
    }

    @Test
    void rfc6675Section5EntersRecoveryOnTheThirdDuplicateAck()
    {
        tenSegmentsInFlight();
        ack(seg(0), seg(1), seg(1) + 100);
        ack(seg(0), seg(1), seg(1) + 200);
        t.expectNothing();
        ack(seg(0), seg(1), seg(1) + 300); // DupThresh, though IsLost(S0) is not yet true (300 bytes SACKed)
        t.expect(ACK | TcpScript.PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_SACK_RECOVERIES));
        assertEquals(5000, c.ssthresh(), "FlightSize / 2");
        assertEquals(5000, c.cwnd(), "cwnd = ssthresh, no inflation (RFC 6675 §5 step 4.2)");
    }

    @Test
    void rfc6675Section5EntersRecoveryWhenIsLostHighAck()
    {
        tenSegmentsInFlight();
        ack(seg(0), seg(1), seg(4)); // one duplicate ACK, but 3,000 bytes SACKed above S0
        t.expect(ACK | TcpScript.PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_SACK_RECOVERIES));
    }

    @Test
    void rfc6675NextSegRule1RetransmitsTheNextLostHoleWhenPipeAllows()
    {
        tenSegmentsInFlight(); // S0 and S2 lost
        ack(seg(0), seg(1), seg(2));
        ack(seg(0), seg(3), seg(4), seg(1), seg(2));
        ack(seg(0), seg(3), seg(5), seg(1), seg(2));
        t.expect(ACK | TcpScript.PSH, seg(0), t.peer(1), 1000);
        t.expectNothing(); // pipe: S0 resent 1,000 + S2 (not lost yet) 1,000 + S5..S9 5,000 > cwnd 5,000
        ack(seg(0), seg(3), seg(6), seg(1), seg(2));
        t.expectNothing(); // S2 is lost now: pipe 1,000 + 4,000 = cwnd
        ack(seg(0), seg(3), seg(7), seg(1), seg(2));
        t.expect(ACK | TcpScript.PSH, seg(2), t.peer(1), 1000); // pipe 4,000: S2, the next lost hole
        t.expectNothing();
    }

    /** S0 and S5 lost, S1-S4 SACKed; recovery entered with S0 resent. */
    private void lostS0AndS5()
    {
        tenSegmentsInFlight();
        ack(seg(0), seg(1), seg(2));
        ack(seg(0), seg(1), seg(3));
        ack(seg(0), seg(1), seg(4));
        t.expect(ACK | TcpScript.PSH, seg(0), t.peer(1), 1000);
        ack(seg(0), seg(1), seg(5));
        ack(seg(0), seg(6), seg(7), seg(1), seg(5));
        t.expectNothing(); // pipe: S0 resent + S5 (not lost) + S7..S9 = 5,000
    }

    /**
     * RFC 6675 §5 (C) for a lost hole shorter than SMSS (here the peer SACKed S2's second half): room for the hole
     * itself suffices. Waiting for a full SMSS could wait for ever when only short segments leave pipe.
     */
    @Test
    void rfc6675Section5CAShortLostHoleNeedsRoomForItsOwnLengthOnly()
    {
        tenSegmentsInFlight(); // S0 and the first half of S2 lost
        ack(seg(0), seg(1), seg(2));
        ack(seg(0), seg(2) + 500, seg(4), seg(1), seg(2)); // IsLost(S0): 2,500 bytes SACKed above it
        t.expect(ACK | TcpScript.PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(5000, c.cwnd());
        ack(seg(0), seg(2) + 500, seg(5), seg(1), seg(2)); // IsLost(S2's first half) now
        ack(seg(0), seg(2) + 500, seg(6), seg(1), seg(2)); // pipe: S0 resent 1,000 + S6..S9 4,000 = cwnd
        t.expectNothing();
        ack(seg(0), seg(2) + 500, seg(6) + 500, seg(1), seg(2)); // pipe 4,500: room for 500 bytes, not for an SMSS
        t.expect(ACK | TcpScript.PSH, seg(2), t.peer(1), 500);
        t.expectNothing();
    }

    @Test
    void rfc6675NextSegRule3RetransmitsAHoleNotYetLostWhenNoNewDataWaits()
    {
        lostS0AndS5();
        ack(seg(0), seg(6), seg(8), seg(1), seg(5));
        // pipe 4,000; rule 1: S5 is not lost (2,000 bytes in one range above); rule 2: nothing unsent; rule 3: S5
        t.expect(ACK | TcpScript.PSH, seg(5), t.peer(1), 1000);
        t.expectNothing();
    }

    @Test
    void rfc6675NextSegRule2SendsNewDataBeforeRule3()
    {
        lostS0AndS5();
        t.write(c, bytes(2000)); // pipe = cwnd: waits
        t.expectNothing();
        ack(seg(0), seg(6), seg(8), seg(1), seg(5));
        t.expect(ACK, seg(10), t.peer(1), 1000);
        t.expectNothing();
    }

    @Test
    void rfc6675NextSegRule4RescueRetransmissionOnceHighAckPassesRescueRxt()
    {
        lostS0AndS5();
        ack(seg(0), seg(6), seg(8), seg(1), seg(5));
        t.expect(ACK | TcpScript.PSH, seg(5), t.peer(1), 1000); // rule 3
        ack(seg(0), seg(6), seg(9), seg(1), seg(5));
        t.expectNothing(); // no rescue while HighACK has not passed RescueRxt (the end of S0's retransmission)
        ack(seg(5), seg(6), seg(9)); // the resent S0 arrived: a partial ACK
        t.expect(ACK | TcpScript.PSH, seg(9), t.peer(1), 1000); // rescue: the highest unSACKed segment
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_SACK_RESCUE_RETRANSMITS));
        ack(seg(5), seg(6), seg(9));
        t.expectNothing(); // once per recovery: RescueRxt = RecoveryPoint
    }

    @Test
    void rfc6675Section5RecoveryEndsAtRecoveryPoint()
    {
        lostS0AndS5();
        ack(seg(5), seg(6), seg(7)); // partial ACK: still in recovery, cwnd unchanged
        assertEquals(5000, c.cwnd());
        ack(seg(9));
        assertEquals(5000, c.cwnd(), "below RecoveryPoint: still recovering");
        while (t.nextOrNull() != null)
        {
            // the retransmissions recovery sent meanwhile
        }
        ack(seg(10));
        assertEquals(2000, c.cwnd(), "left recovery: min(ssthresh, FlightSize + SMSS) (RFC 6582 §3.2 step 5)");
        assertEquals(1, t.count(Counter.TCP_SACK_RECOVERIES));
        t.write(c, bytes(3000));
        t.expect(ACK, seg(10), t.peer(1), 1000);
        t.expect(ACK, seg(11), t.peer(1), 1000);
        t.expectNothing();
    }

    @Test
    void rfc6675Section5p1AfterAnRtoRetransmissionsSkipSackedData()
    {
        tenSegmentsInFlight(); // S0 and S2 lost
        ack(seg(0), seg(1), seg(2));
        ack(seg(0), seg(3), seg(4), seg(1), seg(2));
        t.expectNothing();
        t.s.advance(c.rtoNs());
        t.expect(ACK, seg(0), t.peer(1), 1000); // go-back from SND.UNA, one segment (cwnd = LW)
        t.expectNothing();
        ack(seg(2), seg(3), seg(4)); // cwnd 2,000 after the RTO's one segment
        t.expect(ACK, seg(2), t.peer(1), 1000);
        t.expect(ACK, seg(4), t.peer(1), 1000); // S3 was SACKed: skipped
        t.expectNothing();
        assertTrue(t.count(Counter.TCP_RTO_EXPIRIES) >= 1);
    }
}
