package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPermitted;
import static io.tapstack.tcp.TcpScript.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Undoing the window cut of a spurious loss episode, one rule per test against a scripted peer: detection by D-SACK
 * (RFC 3708 §3) or by timestamps (RFC 3522, Eifel), the response of RFC 4015 §2. Ten segments S0..S9 of 1,000 bytes
 * are in flight (NewReno, the initial window of 10 segments); S0 is late, not lost, unless a test says otherwise.
 *
 * <p>These tests judge episodes of RFC 6675/6582 recovery and of RTOs, so RACK-TLP is off: the 20 ms pause before the
 * duplicate ACKs would end in a tail loss probe (RFC 8985 §7, PTO = 10 ms after an instant handshake), and RACK would
 * deem S0 lost on the first SACK. {@link TcpRackUndoTest} covers the undo with RACK's retransmissions and probes.
 */
class TcpSpuriousRecoveryTest
{
    private static final int HIGH = Integer.MAX_VALUE;
    private static final int PEER_TS = 5_000;

    private final TcpScript t = new TcpScript(c -> c.congestionControl(CongestionAlgorithm.NEWRENO).rack(false));
    private TcpConnection c;
    private boolean timestamps;
    /** The TSval S0 carried the first time. */
    private int originalTsVal;

    private int seg(final int i)
    {
        return t.stack(1 + 1000 * i);
    }

    private void tenInFlight(final boolean withSack, final boolean withTimestamps)
    {
        timestamps = withTimestamps;
        t.listen(4);
        final byte[] sackOption = withSack ? sackPermitted() : NONE;
        // with timestamps an MSS of 1,012 leaves 1,000 bytes of data per segment (the option takes 12)
        t.synToListener(withTimestamps ? options(mss(1012), sackOption, ts(PEER_TS, 0)) : options(mss(1000),
            sackOption));
        ack(t.stack(1));
        c = t.accepted.remove(0);
        t.write(c, bytes(10_000));
        for (int i = 0; i < 10; i++)
        {
            final TcpScript.Seg s = t.expect(ACK | (i == 9 ? PSH : 0), seg(i), t.peer(1), 1000);
            if (i == 0)
            {
                originalTsVal = s.tsVal();
            }
        }
        t.expectNothing();
        t.s.advance(20 * MS); // the retransmissions carry a later TSval
    }

    /** An ACK of everything before {@code ack}, echoing {@code tsEcr} when timestamps are on, with SACK blocks. */
    private void ack(final int ack, final int tsEcr, final int... edges)
    {
        final byte[] sackOption = edges.length > 0 ? sack(edges) : NONE;
        t.send(ACK, t.peer(1), ack, t.peerWindow, timestamps ? options(ts(PEER_TS, tsEcr), sackOption) : sackOption,
            NONE);
    }

    private void ack(final int ack)
    {
        ack(ack, originalTsVal);
    }

    /** Three duplicate ACKs (SACKing S1..S3 when SACK is on): S0 is sent again. Returns its TSval. */
    private int fastRetransmit(final boolean withSack)
    {
        for (int k = 1; k <= 3; k++)
        {
            if (withSack)
            {
                ack(seg(0), originalTsVal, seg(1), seg(k + 1));
            }
            else
            {
                ack(seg(0));
            }
        }
        final TcpScript.Seg resent = t.expect(ACK | PSH, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(5_000, c.ssthresh());
        return resent.tsVal();
    }

    @Test
    void rfc3708Section3DsackOfEveryRetransmissionUndoesTheRecovery()
    {
        tenInFlight(true, false);
        fastRetransmit(true);
        ack(seg(10)); // the original S0 arrived: a full ACK ends the recovery
        assertEquals(2_000, c.cwnd(), "RFC 6582 §3.2 step 5 option (1)");
        ack(seg(10), 0, seg(0), seg(1)); // then the retransmission: the receiver reports it twice
        assertEquals(1, t.count(Counter.TCP_DSACKS_RX));
        assertEquals(1, t.count(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE));
        // RFC 4015 §2 step 8: ssthresh = pipe_prev = max(FlightSize, ssthresh) (unlimited: the first loss); cwnd =
        // FlightSize + IW, at most the 10 segments cut
        assertEquals(HIGH, c.ssthresh());
        assertEquals(10_000, c.cwnd());
    }

    @Test
    void rfc3708Section3NoUndoWhenTheRetransmissionFilledTheHole()
    {
        tenInFlight(true, false);
        fastRetransmit(true);
        ack(seg(10)); // S0 was lost: the retransmission is what arrived, and no D-SACK follows
        t.s.advance(c.rtoNs());
        ack(seg(10));
        assertEquals(0, t.count(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(5_000, c.ssthresh());
    }

    @Test
    void rfc3708Section3ADsackOfDataNotRetransmittedProvesNothing()
    {
        tenInFlight(true, false);
        fastRetransmit(true);
        ack(seg(10));
        ack(seg(10), 0, seg(3), seg(4)); // the network duplicated S3 itself
        assertEquals(1, t.count(Counter.TCP_DSACKS_RX));
        assertEquals(0, t.count(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(5_000, c.ssthresh());
    }

    @Test
    void rfc3708Section3DsacksUndoASpuriousTimeout()
    {
        tenInFlight(true, false);
        t.s.advance(c.rtoNs());
        t.expect(ACK, seg(0), t.peer(1), 1000); // go-back: one segment (cwnd = LW)
        t.expectNothing();
        assertEquals(1_000, c.cwnd());
        ack(seg(10)); // the ACKs were only late
        ack(seg(10), 0, seg(0), seg(1));
        assertEquals(1, t.count(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(HIGH, c.ssthresh());
        assertEquals(10_000, c.cwnd());
    }

    @Test
    void rfc3522EifelTheAckEchoesTheOriginalsTimestamp()
    {
        tenInFlight(false, true);
        fastRetransmit(false);
        ack(seg(10), originalTsVal); // the echo is older than the retransmission: the ACK is for the original
        assertEquals(1, t.count(Counter.TCP_EIFEL_DETECTIONS));
        assertEquals(1, t.count(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(HIGH, c.ssthresh());
        assertEquals(10_000, c.cwnd());
    }

    @Test
    void rfc3522EifelTheAckEchoesTheRetransmissionsTimestamp()
    {
        tenInFlight(false, true);
        final int resentTsVal = fastRetransmit(false);
        ack(seg(10), resentTsVal); // S0 was lost: the retransmission arrived
        assertEquals(0, t.count(Counter.TCP_EIFEL_DETECTIONS));
        assertEquals(0, t.count(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(5_000, c.ssthresh());
    }

    @Test
    void rfc4015ASpuriousTimeoutFoundByEifelIsUndoneAtOnce()
    {
        tenInFlight(false, true);
        t.s.advance(c.rtoNs());
        t.expect(ACK, seg(0), t.peer(1), 1000);
        t.expectNothing();
        assertEquals(5_000, c.ssthresh());
        ack(seg(10), originalTsVal); // a delay spike, not a loss: the first ACK after the timeout
        assertEquals(1, t.count(Counter.TCP_EIFEL_DETECTIONS));
        assertEquals(1, t.count(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(HIGH, c.ssthresh());
        assertEquals(10_000, c.cwnd());
    }

    @Test
    void switchedOffEveryReductionStays()
    {
        final TcpScript off = new TcpScript(cfg -> cfg.congestionControl(CongestionAlgorithm.NEWRENO)
            .undoSpuriousRecoveries(false).rack(false));
        off.listen(4);
        off.synToListener(options(mss(1000), sackPermitted()));
        off.send(ACK, off.peer(1), off.stack(1));
        final TcpConnection conn = off.accepted.remove(0);
        off.write(conn, bytes(10_000));
        for (int k = 1; k <= 3; k++)
        {
            off.send(ACK, off.peer(1), off.stack(1), off.peerWindow, sack(off.stack(1001), off.stack(1001 + 1000 * k)),
                NONE);
        }
        off.send(ACK, off.peer(1), off.stack(10_001));
        off.send(ACK, off.peer(1), off.stack(10_001), off.peerWindow, sack(off.stack(1), off.stack(1001)), NONE);
        assertEquals(1, off.count(Counter.TCP_DSACKS_RX));
        assertEquals(0, off.count(Counter.TCP_SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(5_000, conn.ssthresh());
    }
}
