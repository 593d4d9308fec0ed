package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 7323 §3-5: the timestamps option (negotiation, TSval, the TSecr echoed per §4.3, RTT samples) and PAWS, one
 * rule per test, with window scaling off so each test sees only timestamps.
 */
class TcpTimestampsTest
{
    private static final long DAY = 24 * 3600 * SECOND;
    /** The peer's TSval on its SYN; its clock then ticks as the test says. */
    private static final int PEER_TS = 5000;

    private static TcpScript script()
    {
        return new TcpScript(c -> c.windowScaling(false));
    }

    /** A peer segment with a timestamps option. */
    private static void send(final TcpScript t, final int flags, final int seq, final int ack, final int tsVal,
        final int tsEcr, final byte[] data)
    {
        t.send(flags, t.peer(seq), t.stack(ack), t.peerWindow, ts(tsVal, tsEcr), data);
    }

    /** Passive open with timestamps both ways, 100 ms of RTT; returns the connection, in ESTABLISHED. */
    private static TcpConnection open(final TcpScript t)
    {
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(options(mss(1460), ts(PEER_TS, 0)));
        assertTrue(synAck.ts(), "SYN-ACK with timestamps: " + synAck);
        t.s.advance(100 * MS);
        send(t, ACK, 1, 1, PEER_TS + 100, synAck.tsVal(), NONE);
        t.expectNothing();
        return t.accepted.remove(0);
    }

    @Test
    void rfc7323s3_2_ourSynOffersTimestampsWithTsecrZero()
    {
        final TcpScript t = script();
        t.connect(null);
        assertTrue(t.syn.ts(), "got " + t.syn);
        assertEquals(0, t.syn.tsEcr());
        assertEquals(1460, t.syn.mss(), "RFC 6691: the MSS option counts no TCP options");
    }

    @Test
    void rfc7323s3_2_noTimestampsOnOurSynWhenTurnedOff()
    {
        final TcpScript t = new TcpScript(c -> c.timestamps(false));
        t.connect(null);
        assertFalse(t.syn.ts(), "got " + t.syn);
    }

    @Test
    void rfc7323s3_2_aPeerThatDoesNotOfferThemGetsNone()
    {
        final TcpScript t = script();
        final TcpConnection c = t.connect(null);
        t.send(SYN | ACK, t.peer(0), t.stack(1), 65535, mss(1460), NONE);
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(1));
        assertFalse(ack.ts(), "got " + ack);
        assertEquals(1460, c.sendMss(), "no option bytes to leave room for");
        assertEquals(0, t.count(Counter.TCP_TIMESTAMPS_NEGOTIATED));
        t.expectNothing();
    }

    @Test
    void rfc7323s3_2_aPeerOfferingThemWhenWeDoNotGetsNone()
    {
        final TcpScript t = new TcpScript(c -> c.timestamps(false));
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(options(mss(1460), ts(PEER_TS, 0)));
        assertFalse(synAck.ts(), "got " + synAck);
        t.send(ACK, t.peer(1), t.stack(1), t.peerWindow, ts(PEER_TS + 1, 0), NONE);
        assertEquals(1460, t.accepted.get(0).sendMss());
        t.expectNothing();
    }

    @Test
    void rfc7323s3_2_onceNegotiatedEverySegmentCarriesThemAndTheMssLeavesRoomForThem()
    {
        final TcpScript t = script();
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(options(mss(1460), ts(PEER_TS, 0)));
        assertEquals(PEER_TS, synAck.tsEcr(), "the SYN-ACK echoes the SYN's TSval");
        send(t, ACK, 1, 1, PEER_TS + 1, synAck.tsVal(), NONE);
        final TcpConnection c = t.accepted.remove(0);
        assertEquals(1448, c.sendMss(), "RFC 6691: 1460 less 12 bytes of timestamps");
        assertEquals(1, t.count(Counter.TCP_TIMESTAMPS_NEGOTIATED));
        t.write(c, bytes(3000));
        final TcpScript.Seg first = t.expect(ACK, t.stack(1), t.peer(1), 1448);
        final TcpScript.Seg second = t.expect(ACK, t.stack(1449), t.peer(1), 1448);
        assertTrue(first.ts() && second.ts());
        assertEquals(32, first.header().length, "20 bytes + NOP NOP + 10 bytes of timestamps");
        assertEquals(PEER_TS + 1, first.tsEcr());
        t.expectNothing();
    }

    @Test
    void rfc7323s5_4_tsvalIsAMillisecondClock()
    {
        final TcpScript t = script();
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(options(mss(1460), ts(PEER_TS, 0)));
        t.s.advance(1234 * MS);
        // the SYN-ACK goes again after the 1 s RTO; its TSval moved by the 1,000 ms in between
        final TcpScript.Seg again = t.expect(SYN | ACK, t.stack(0), t.peer(1));
        assertEquals(1000, again.tsVal() - synAck.tsVal(), "got " + synAck + " then " + again);
        t.expectNothing();
    }

    @Test
    void rfc7323s4_3_aDelayedAckEchoesTheEarliestSegmentItAcknowledges()
    {
        final TcpScript t = script();
        open(t);
        send(t, ACK, 1, 1, PEER_TS + 200, 0, bytes(1448));
        send(t, ACK | PSH, 1449, 1, PEER_TS + 201, 0, bytes(1448));
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(2897));
        assertEquals(PEER_TS + 200, ack.tsEcr(), "RFC 7323 §4.3 (1): the first of the two; got " + ack);
        t.expectNothing();
    }

    @Test
    void rfc7323s4_3_dataAboveAHoleDoesNotMoveTheEchoButTheSegmentFillingItDoes()
    {
        final TcpScript t = script();
        open(t);
        send(t, ACK, 1, 1, PEER_TS + 200, 0, bytes(1448));
        send(t, ACK | PSH, 1449, 1, PEER_TS + 201, 0, bytes(1448));
        assertEquals(PEER_TS + 200, t.expect(ACK, t.stack(1), t.peer(2897)).tsEcr());
        // the segment at 2897 is lost; the next one arrives above the hole
        send(t, ACK, 4345, 1, PEER_TS + 203, 0, bytes(1448));
        final TcpScript.Seg dupAck = t.expect(ACK, t.stack(1), t.peer(2897));
        assertEquals(PEER_TS + 200, dupAck.tsEcr(), "RFC 7323 §4.3 (2): the last in-sequence one; got " + dupAck);
        // the retransmission fills the hole
        send(t, ACK, 2897, 1, PEER_TS + 250, 0, bytes(1448));
        final TcpScript.Seg filled = t.expect(ACK, t.stack(1), t.peer(5793));
        assertEquals(PEER_TS + 250, filled.tsEcr(), "RFC 7323 §4.3 (2): the one that filled the hole; got " + filled);
        t.expectNothing();
    }

    @Test
    void rfc7323s4_1_everyAckOfNewDataGivesAnRttSample()
    {
        final TcpScript t = script();
        final TcpConnection c = open(t);
        assertEquals(100 * MS, c.srttNs(), "the handshake's sample: the ACK echoed the SYN-ACK's TSval");
        t.write(c, bytes(100));
        final TcpScript.Seg data = t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
        t.s.advance(20 * MS);
        send(t, ACK, 1, 101, PEER_TS + 120, data.tsVal(), NONE);
        // RFC 6298 §2.3: SRTT = 7/8 · 100 + 1/8 · 20 ms
        assertEquals(90 * MS, c.srttNs());
        t.expectNothing();
    }

    @Test
    void rfc7323s4_1_theAckOfARetransmissionGivesASampleWhereKarnsRuleGaveNone()
    {
        final TcpScript t = script();
        final TcpConnection c = open(t);
        t.write(c, bytes(100));
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
        final long rto = c.rtoNs();
        t.s.advance(rto);
        final TcpScript.Seg again = t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
        assertEquals(2 * rto, c.rtoNs(), "backed off");
        t.s.advance(20 * MS);
        // the ACK echoes the retransmission's TSval: its RTT is 20 ms, unambiguously
        send(t, ACK, 1, 101, PEER_TS + 120, again.tsVal(), NONE);
        assertEquals(90 * MS, c.srttNs(), "RFC 6298 §2.3 with a 20 ms sample");
        // RTTVAR = 3/4 · 50 + 1/4 · 80 ms; RTO = SRTT + 4 · RTTVAR: the back-off (600 ms) is over
        assertEquals(320 * MS, c.rtoNs());
        t.expectNothing();
    }

    @Test
    void rfc7323s5_3_pawsDropsASegmentOlderThanTsRecentAndAcknowledges()
    {
        final TcpScript t = script();
        final TcpConnection c = open(t);
        // an old duplicate: in the window, but its TSval is older than TS.Recent (PEER_TS + 100)
        send(t, ACK | PSH, 1, 1, PEER_TS + 99, 0, bytes(100));
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(1));
        assertEquals(PEER_TS + 100, ack.tsEcr());
        assertEquals(0, c.readable(), "the data was dropped");
        assertEquals(1, t.count(Counter.TCP_PAWS_DROPS));
        t.expectNothing();
    }

    @Test
    void rfc7323s5_3_pawsLetsAResetThrough()
    {
        final TcpScript t = script();
        final TcpConnection c = open(t);
        send(t, RST, 1, 0, PEER_TS + 1, 0, NONE);
        assertEquals(TcpState.CLOSED, c.state(), "R1: the RST bit is not set, for PAWS to apply");
        assertEquals(0, t.count(Counter.TCP_PAWS_DROPS));
        t.expectNothing();
    }

    @Test
    void rfc7323s5_5_afterMoreThan24IdleDaysTsRecentIsNoLongerUsed()
    {
        final TcpScript t = script();
        final TcpConnection c = open(t);
        t.s.advance(DAY * 24 + 1);
        t.s.learnPeer(); // the ARP entry expired meanwhile
        // the peer's clock has wrapped meanwhile: its TSval looks older than TS.Recent
        send(t, ACK | PSH, 1, 1, PEER_TS - 1_000_000, 0, bytes(100));
        t.s.advance(40 * MS);
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(101));
        assertEquals(PEER_TS - 1_000_000, ack.tsEcr(), "the new TSval became TS.Recent");
        assertEquals(100, c.readable());
        assertEquals(0, t.count(Counter.TCP_PAWS_DROPS));
        t.expectNothing();
    }

    @Test
    void rfc7323s5_5_within24IdleDaysPawsStillApplies()
    {
        final TcpScript t = script();
        final TcpConnection c = open(t);
        t.s.advance(DAY * 24);
        t.s.learnPeer(); // the ARP entry expired meanwhile
        send(t, ACK | PSH, 1, 1, PEER_TS - 1_000_000, 0, bytes(100));
        t.expect(ACK, t.stack(1), t.peer(1));
        assertEquals(0, c.readable());
        assertEquals(1, t.count(Counter.TCP_PAWS_DROPS));
        t.expectNothing();
    }

    @Test
    void rfc7323s3_2_onceNegotiatedASegmentWithoutThemIsDroppedSilently()
    {
        final TcpScript t = script();
        final TcpConnection c = open(t);
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(100));
        assertEquals(0, c.readable());
        assertEquals(1, t.count(Counter.TCP_DROP_NO_TIMESTAMPS));
        t.s.advance(SECOND);
        t.expectNothing();
    }
}
