package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.FIN;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TIME-WAIT as a light record (RFC 9293 §3.6.1, §3.10.7.4 in TIME-WAIT): the connection's buffers and slot are freed
 * when it enters TIME-WAIT, and a {@link TimeWaitTable} record answers for it, one rule per test. The rules the
 * record shares with a connection in TIME-WAIT are also in {@link TcpCloseTest}.
 */
class TcpTimeWaitTest
{
    private static final int PEER_TS = 9000;

    /** The window field of the ACK that acknowledged the peer's FIN as the connection entered TIME-WAIT. */
    private int windowOnEntry;
    private int tsValOnEntry;

    /** Listens, then {@link #passiveOpenAndCloseIntoTimeWait}. */
    private TcpConnection intoTimeWait(final TcpScript t, final boolean timestamps)
    {
        t.listen(16);
        return passiveOpenAndCloseIntoTimeWait(t, timestamps);
    }

    /** Passive open (with timestamps if {@code timestamps}), we close, the peer's FIN: TIME-WAIT. */
    private TcpConnection passiveOpenAndCloseIntoTimeWait(final TcpScript t, final boolean timestamps)
    {
        final TcpScript.Seg synAck = t.synToListener(timestamps ? options(mss(1460), ts(PEER_TS, 0)) : mss(1460));
        t.send(ACK, t.peer(1), t.stack(1), t.peerWindow, timestamps ? ts(PEER_TS + 1, synAck.tsVal()) : NONE, NONE);
        final TcpConnection c = t.accepted.remove(0);
        c.close();
        t.s.step();
        final TcpScript.Seg fin = t.expect(FIN | ACK, t.stack(1), t.peer(1));
        t.send(FIN | ACK, t.peer(1), t.stack(2), t.peerWindow, timestamps ? ts(PEER_TS + 2, fin.tsVal()) : NONE,
            NONE);
        final TcpScript.Seg ackOfFin = t.expect(ACK, t.stack(2), t.peer(2));
        windowOnEntry = ackOfFin.window();
        tsValOnEntry = ackOfFin.tsVal();
        t.expectNothing();
        assertEquals(TcpState.TIME_WAIT, c.state());
        return c;
    }

    @Test
    void rfc9293s3_6_1_aConnectionInTimeWaitLeavesARecordAndFreesItsSlot()
    {
        final TcpScript t = new TcpScript(c -> c.timeWaitNs(60 * SECOND));
        final TcpConnection c = intoTimeWait(t, false);
        assertEquals(0, t.tcp.connectionCount(), "the connection is gone from the table");
        assertEquals(1, t.tcp.timeWaitCount());
        assertEquals(1, t.count(Counter.TCP_TIME_WAIT_ENTERED));
        t.s.advance(60 * SECOND);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(0, t.tcp.timeWaitCount());
        // and the port is closed now: a late segment gets a reset
        t.s.learnPeer(); // the ARP entry expired meanwhile
        t.send(ACK, t.peer(2), t.stack(2));
        t.expect(RST, t.stack(2), 0);
    }

    @Test
    void rfc9293s3_10_7_4_aRetransmittedFinIsAckedWithTimestampsFromTheConnectionsClock()
    {
        final TcpScript t = new TcpScript(c -> c.timeWaitNs(10 * SECOND).windowScaling(false));
        intoTimeWait(t, true);
        t.s.advance(100 * MS);
        final TcpScript.Seg before = t.nextOrNull();
        assertEquals(null, before);
        t.send(FIN | ACK, t.peer(1), t.stack(2), t.peerWindow, ts(PEER_TS + 100, 0), NONE);
        final TcpScript.Seg ack = t.expect(ACK, t.stack(2), t.peer(2), 0);
        assertTrue(ack.ts(), "RFC 7323 §3.2: timestamps on every segment; got " + ack);
        assertEquals(PEER_TS + 2, ack.tsEcr(), "RFC 7323 §4.3: TS.Recent, from the FIN at RCV.NXT - 1 (not newer)");
        assertEquals(windowOnEntry, ack.window(), "the window last announced");
        assertEquals(100, ack.tsVal() - tsValOnEntry, "the connection's 1 ms clock went on for 100 ms");
        t.expectNothing();
    }

    @Test
    void rfc7323s5_3_inTimeWaitAnOldTimestampIsAckedAndAMissingOneDropped()
    {
        final TcpScript t = new TcpScript();
        intoTimeWait(t, true);
        t.send(ACK, t.peer(2), t.stack(2), t.peerWindow, ts(PEER_TS - 1, 0), bytes(1));
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        assertEquals(1, t.count(Counter.TCP_PAWS_DROPS));
        t.send(ACK, t.peer(2), t.stack(2), t.peerWindow, NONE, bytes(1));
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_DROP_NO_TIMESTAMPS));
    }

    @Test
    void rfc5961s3_2_aResetInTheWindowButNotAtRcvNxtIsChallengedAndTheRecordStays()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = intoTimeWait(t, false);
        t.send(RST, t.peer(3), 0);
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        assertEquals(TcpState.TIME_WAIT, c.state());
        t.send(RST, t.peer(2 + 200_000), 0);
        t.expectNothing(); // outside the window: dropped
        t.send(RST, t.peer(2), 0);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state(), "RFC 9293 §3.10.7.4 second: CLOSED (no RFC 1337 protection)");
        assertEquals(0, t.tcp.timeWaitCount());
    }

    @Test
    void rfc5961s4_2_aSynInTheWindowGetsAChallengeAckAndAnOldSynAnAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = intoTimeWait(t, false);
        t.send(SYN, t.peer(2), 0);
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        assertEquals(1, t.count(Counter.TCP_CHALLENGE_ACKS));
        t.send(SYN, t.peer(-5), 0);
        t.expect(ACK, t.stack(2), t.peer(2), 0); // below RCV.NXT: unacceptable, answered with an ACK
        assertEquals(TcpState.TIME_WAIT, c.state(), "no reopening below the old sequence space");
    }

    @Test
    void rfc9293s3_10_7_4_textIsAckedABareAckIsNotAndAnAckOfNothingSentIsAcked()
    {
        final TcpScript t = new TcpScript();
        intoTimeWait(t, false);
        t.send(ACK, t.peer(2), t.stack(2));
        t.expectNothing();
        t.send(ACK, t.peer(2), t.stack(2), bytes(10));
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        t.send(ACK, t.peer(2), t.stack(2) + 1000);
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        assertEquals(1, t.count(Counter.TCP_DROP_ACK_UNSENT));
    }

    @Test
    void rfc5961s7_pureAcksToOutOfWindowSegmentsAreRateLimited()
    {
        final TcpScript t = new TcpScript(c -> c.outOfWindowAckIntervalNs(500 * MS));
        intoTimeWait(t, false);
        t.send(ACK, t.peer(2 + 70_000), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        t.send(ACK, t.peer(2 + 70_000), t.stack(2));
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_OOW_ACKS_RATE_LIMITED));
        t.s.advance(500 * MS);
        t.send(ACK, t.peer(2 + 70_000), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2), 0);
    }

    @Test
    void rfc6191_aNewSynAboveTheOldSequenceSpaceReopensAndIsCounted()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = intoTimeWait(t, false);
        t.peerIss = t.peer(100_000);
        t.synToListener(1460);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(0, t.tcp.timeWaitCount());
        assertEquals(1, t.tcp.connectionCount(), "the new incarnation, half-open");
        assertEquals(1, t.count(Counter.TCP_TIME_WAIT_REOPENS));
    }

    /** RFC 6191 §2: with timestamps on both incarnations a newer TSval reopens, below the old sequence space too. */
    @Test
    void rfc6191s2_aSynWithANewerTimestampReopensEvenBelowTheOldRcvNxt()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = intoTimeWait(t, true);
        t.peerIss = t.peer(-50_000); // an ISN the old sequence space has passed (RCV.NXT is the old peer(2))
        t.synToListener(options(mss(1460), ts(PEER_TS + 3, 0)));
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(0, t.tcp.timeWaitCount());
        assertEquals(1, t.tcp.connectionCount(), "the new incarnation, half-open");
        assertEquals(1, t.count(Counter.TCP_TIME_WAIT_REOPENS));
    }

    /**
     * RFC 6191 §2: with timestamps on both incarnations a SYN whose TSval is older than TS.Recent does not reopen,
     * however far its sequence number lies beyond the old RCV.NXT: it is an old duplicate (PAWS answers it, RFC 7323
     * §5.3 R1).
     */
    @Test
    void rfc6191s2_aSynWithAnOlderTimestampDoesNotReopenEvenBeyondTheOldRcvNxt()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = intoTimeWait(t, true);
        t.send(SYN, t.peer(100_000), 0, t.peerWindow, options(mss(1460), ts(PEER_TS + 1, 0)), NONE);
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        t.expectNothing();
        assertEquals(TcpState.TIME_WAIT, c.state());
        assertEquals(0, t.count(Counter.TCP_TIME_WAIT_REOPENS));
        assertEquals(1, t.count(Counter.TCP_PAWS_DROPS));
    }

    /** RFC 6191 §2: a TSval equal to TS.Recent reopens only with a sequence number beyond the old RCV.NXT. */
    @Test
    void rfc6191s2_aSynWithAnEqualTimestampReopensOnlyBeyondTheOldRcvNxt()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = intoTimeWait(t, true);
        final byte[] equal = options(mss(1460), ts(PEER_TS + 2, 0)); // TS.Recent: the FIN's
        t.send(SYN, t.peer(2), 0, t.peerWindow, equal, NONE); // at RCV.NXT: in the window, challenged (RFC 5961 §4.2)
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        assertEquals(TcpState.TIME_WAIT, c.state());
        t.peerIss = t.peer(3);
        t.synToListener(equal);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(1, t.count(Counter.TCP_TIME_WAIT_REOPENS));
    }

    /**
     * RFC 6191 §2: when the new incarnation would not use timestamps (the SYN carries none), the sequence number
     * decides, as without timestamps (RFC 9293 §3.6.1): beyond the old RCV.NXT reopens, though the old one used them.
     */
    @Test
    void rfc6191s2_aSynWithoutTimestampsAfterAnIncarnationWithThemReopensBeyondTheOldRcvNxtOnly()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = intoTimeWait(t, true);
        t.send(SYN, t.peer(1), 0, t.peerWindow, mss(1460), NONE);
        t.expectNothing(); // RFC 7323 §3.2: no timestamps where they were negotiated: dropped
        assertEquals(TcpState.TIME_WAIT, c.state());
        t.peerIss = t.peer(100_000);
        t.synToListener(1460);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(1, t.count(Counter.TCP_TIME_WAIT_REOPENS));
    }

    @Test
    void rfc9293s3_10_5_abortInTimeWaitSendsNoResetAndEndsTheRecord()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = intoTimeWait(t, false);
        c.abort();
        t.s.step();
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(0, t.tcp.timeWaitCount());
    }

    @Test
    void aFullTableDropsTheRecordClosestToItsEndAndCountsIt()
    {
        final TcpScript t = new TcpScript(c -> c.maxTimeWait(3).timeWaitNs(60 * SECOND));
        final List<TcpConnection> closed = new ArrayList<>();
        t.listen(16);
        for (int i = 0; i < 5; i++)
        {
            t.peerPort = 40000 + i;
            closed.add(passiveOpenAndCloseIntoTimeWait(t, false));
            t.s.advance(SECOND);
        }
        assertEquals(3, t.tcp.timeWaitCount());
        assertEquals(2, t.count(Counter.TCP_TIME_WAIT_OVERFLOWS));
        assertEquals(TcpState.CLOSED, closed.get(0).state());
        assertEquals(TcpState.CLOSED, closed.get(1).state());
        assertEquals(TcpState.TIME_WAIT, closed.get(2).state());
        // the dropped 4-tuple is a closed port again; the kept ones still answer
        t.peerPort = 40000;
        t.send(ACK, t.peer(2), t.stack(2));
        t.expect(RST, t.stack(2), 0);
        t.peerPort = 40004;
        t.send(ACK, t.peer(2), t.stack(2), bytes(1));
        t.expect(ACK, t.stack(2), t.peer(2), 0);
    }

    @Test
    void anEventListenerHearsTimeWaitEndWhenTheRecordExpires()
    {
        final TcpScript t = new TcpScript(c -> c.timeWaitNs(10 * SECOND));
        final List<String> changes = new ArrayList<>();
        t.tcp.eventListener(new TcpEventListener()
        {
            @Override
            public void onStateChange(final TcpConnection c, final TcpState from, final TcpState to, final long nowNs)
            {
                changes.add(from + " -> " + to);
            }
        });
        intoTimeWait(t, false);
        assertEquals("FIN_WAIT_2 -> TIME_WAIT", changes.get(changes.size() - 1));
        t.s.advance(10 * SECOND);
        assertEquals("TIME_WAIT -> CLOSED", changes.get(changes.size() - 1));
    }
}
