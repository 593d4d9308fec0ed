package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9293 §3.5 (opening), §3.10.7.2-4 for SYN-SENT and SYN-RECEIVED; gVisor packetimpact's handshake tests. */
class TcpHandshakeTest
{
    @Test
    void passiveOpenAnswersSynWithSynAckCarryingMss()
    {
        final TcpScript t = new TcpScript();
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(1460);
        assertEquals(1460, synAck.mss(), "our MSS: 1500 - 20 - 20");
        assertEquals(0, synAck.len());
        t.expectNothing();
        assertTrue(t.accepted.isEmpty(), "not acceptable before the handshake's ACK");
        t.send(ACK, t.peer(1), t.stack(1));
        t.expectNothing();
        assertEquals(1, t.accepted.size());
        final TcpConnection c = t.accepted.get(0);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1460, c.sendMss());
        assertEquals(1, t.count(Counter.TCP_PASSIVE_OPENS));
    }

    @Test
    void activeOpenSendsSynWithMssAndAcksTheSynAck()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.tcp.connect(io.tapstack.testkit.SingleStack.PEER_IP, t.peerPort, r, t.s.clock.nanoTime());
        t.stackPort = c.localPort();
        assertTrue(c.localPort() >= 49152, "ephemeral port");
        t.s.step();
        final TcpScript.Seg syn = t.next();
        assertEquals(SYN, syn.flags());
        assertEquals(1460, syn.mss());
        assertEquals(0, syn.ack());
        t.stackIss = syn.seq();
        assertEquals(TcpState.SYN_SENT, c.state());
        t.send(SYN | ACK, t.peer(0), t.stack(1), 65535, mss(1000), NONE);
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.expectNothing();
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1000, c.sendMss());
        assertEquals(java.util.List.of("connected"), r.events);
    }

    @Test
    void peerWithoutMssOptionGets536ByteSegments()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.activeOpen(-1, null);
        assertEquals(536, c.sendMss(), "RFC 9293 §3.7.1 default");
    }

    @Test
    void handshakeWindowSizeIsTheReceiveBufferUpTo65535()
    {
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(20_000));
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(1460);
        assertEquals(20_000, synAck.window());
        final TcpScript big = new TcpScript(c -> c.receiveBufferBytes(256 * 1024));
        big.connect(null);
        // SYN window: no scaling, so at most 65,535
        big.send(SYN | ACK, big.peer(0), big.stack(1));
        assertEquals(65535, big.expect(ACK, big.stack(1), big.peer(1)).window());
    }

    @Test
    void simultaneousOpenEstablishesWithSynAckBothWays()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.connect(r);
        // the peer's own SYN crosses ours (RFC 9293 figure 8)
        t.send(SYN, t.peer(0), 0, 65535, mss(1460), NONE);
        assertEquals(TcpState.SYN_RECEIVED, c.state());
        final TcpScript.Seg synAck = t.expect(SYN | ACK, t.stack(0), t.peer(1));
        assertEquals(1460, synAck.mss());
        // the peer's SYN-ACK for our SYN completes the handshake
        t.send(SYN | ACK, t.peer(0), t.stack(1));
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(java.util.List.of("connected"), r.events);
        t.s.advance(SECOND / 2);
        final byte[] data = bytes(10);
        t.write(c, data);
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        t.expectNothing();
    }

    @Test
    void synSentResetWithAcceptableAckRefusesTheConnection()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.connect(r);
        t.send(RST | ACK, 0, t.stack(1));
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals("connection refused", c.resetReason());
        assertEquals(java.util.List.of("reset: connection refused"), r.events);
        assertEquals(0, t.tcp.connectionCount());
        t.expectNothing();
    }

    @Test
    void synSentResetWithoutAckIsIgnored()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        t.send(RST, 0, 0);
        assertEquals(TcpState.SYN_SENT, c.state());
        t.expectNothing();
        // the handshake still completes
        t.send(SYN | ACK, t.peer(0), t.stack(1));
        t.expect(ACK, t.stack(1), t.peer(1));
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void synSentResetWithUnacceptableAckIsIgnored()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        t.send(RST | ACK, 0, t.stack(2));
        t.send(RST | ACK, 0, t.stack(0));
        assertEquals(TcpState.SYN_SENT, c.state());
        t.expectNothing();
    }

    @Test
    void synSentBadAckIsAnsweredWithResetAndIgnored()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        t.send(SYN | ACK, t.peer(0), t.stack(100));
        t.expect(RST, t.stack(100), 0);
        t.expectNothing();
        assertEquals(TcpState.SYN_SENT, c.state());
        t.send(ACK, t.peer(0), t.stack(0));
        t.expect(RST, t.stack(0), 0);
        assertEquals(TcpState.SYN_SENT, c.state());
    }

    @Test
    void synSentAckWithoutSynIsDropped()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        t.send(ACK, t.peer(0), t.stack(1));
        t.expectNothing();
        assertEquals(TcpState.SYN_SENT, c.state());
    }

    @Test
    void synRcvdResetReturnsToListenQuietly()
    {
        final TcpScript t = new TcpScript();
        final TcpListener l = t.listen(4);
        t.synToListener(1460);
        assertEquals(1, l.halfOpen());
        t.send(RST, t.peer(1), 0);
        t.expectNothing();
        assertEquals(0, l.halfOpen());
        assertEquals(0, t.tcp.connectionCount());
        assertTrue(t.accepted.isEmpty());
        // still listening: a new SYN gets a SYN-ACK
        t.synToListener(1460);
    }

    @Test
    void synRcvdResetOutsideTheWindowIsIgnored()
    {
        final TcpScript t = new TcpScript();
        final TcpListener l = t.listen(4);
        t.synToListener(1460);
        t.send(RST, t.peer(100_000), 0);
        t.expectNothing();
        assertEquals(1, l.halfOpen());
    }

    @Test
    void synRcvdResetInWindowButNotExactGetsChallengeAck()
    {
        final TcpScript t = new TcpScript();
        final TcpListener l = t.listen(4);
        t.synToListener(1460);
        t.send(RST, t.peer(10), 0);
        // RFC 5961 §3.2: in SYN-RECEIVED the "ACK" is our SYN-ACK again
        final TcpScript.Seg seg = t.next();
        assertEquals(t.peer(1), seg.ack());
        assertEquals(1, l.halfOpen());
        assertEquals(1, t.count(Counter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void synRcvdAcceptableAckEstablishes()
    {
        final TcpScript t = new TcpScript();
        t.listen(4);
        t.synToListener(1460);
        t.send(ACK, t.peer(1), t.stack(1), 1234, NONE, NONE);
        assertEquals(1, t.accepted.size());
        assertEquals(1234, t.accepted.get(0).sndWnd(), "the window of the handshake's ACK");
    }

    @Test
    void synRcvdUnacceptableAckGetsResetAndKeepsWaiting()
    {
        final TcpScript t = new TcpScript();
        final TcpListener l = t.listen(4);
        t.synToListener(1460);
        t.send(ACK, t.peer(1), t.stack(5));
        t.expect(RST, t.stack(5), 0);
        t.send(ACK, t.peer(1), t.stack(0));
        t.expect(RST, t.stack(0), 0);
        t.expectNothing();
        assertTrue(t.accepted.isEmpty());
        assertEquals(1, l.halfOpen());
        t.send(ACK, t.peer(1), t.stack(1));
        assertEquals(1, t.accepted.size());
    }

    @Test
    void synRcvdRetransmittedSynGetsTheSameSynAck()
    {
        final TcpScript t = new TcpScript();
        t.listen(4);
        t.synToListener(1460);
        t.send(SYN, t.peer(0), 0, 65535, mss(1460), NONE);
        final TcpScript.Seg again = t.expect(SYN | ACK, t.stack(0), t.peer(1));
        assertEquals(1460, again.mss());
        t.expectNothing();
    }

    @Test
    void synAckIsRetransmittedWithBackoffThenGivenUp()
    {
        // SYN-ACK retries are bounded by synAckRetries, apart from synRetries (a SYN flood's half-open entries go
        // sooner than a client's patience); the rule is unchanged
        final TcpScript t = new TcpScript(c -> c.synAckRetries(2).synRetries(6));
        final TcpListener l = t.listen(4);
        t.synToListener(1460);
        t.s.advance(SECOND - 1);
        t.expectNothing();
        t.s.advance(1);
        t.expect(SYN | ACK, t.stack(0), t.peer(1));
        t.s.advance(2 * SECOND - 1);
        t.expectNothing();
        t.s.advance(1);
        t.expect(SYN | ACK, t.stack(0), t.peer(1));
        t.s.advance(4 * SECOND);
        t.expectNothing();
        assertEquals(0, l.halfOpen());
        assertEquals(0, t.tcp.connectionCount());
    }

    @Test
    void synIsRetransmittedWithBackoffThenConnectTimesOut()
    {
        final TcpScript t = new TcpScript(c -> c.synRetries(2));
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.connect(r);
        t.s.advance(SECOND);
        assertEquals(1460, t.expect(SYN, t.stack(0), 0).mss());
        t.s.advance(2 * SECOND);
        t.expect(SYN, t.stack(0), 0);
        t.s.advance(4 * SECOND);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(java.util.List.of("reset: connection timed out"), r.events);
    }

    @Test
    void dataQueuedInSynSentIsSentAfterEstablishment()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        final byte[] data = bytes(100);
        assertEquals(100, c.write(data, 0, 100));
        t.s.step();
        t.expectNothing();
        t.send(SYN | ACK, t.peer(0), t.stack(1), 65535, mss(1460), NONE);
        final TcpScript.Seg seg = t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
        assertArrayEquals(data, seg.data());
        t.expectNothing();
    }

    @Test
    void dataOnTheHandshakeAckIsDelivered()
    {
        final TcpScript t = new TcpScript();
        t.listen(4);
        t.synToListener(1460);
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(5));
        final TcpConnection c = t.accepted.get(0);
        assertEquals(5, c.readable());
        final byte[] got = new byte[5];
        assertEquals(5, c.read(got, 0, 5));
        assertArrayEquals(bytes(5), got);
        assertNull(c.resetReason());
    }

    @Test
    void afterALostSynTheInitialWindowIsOneSegment()
    {
        // RFC 5681 §3.1 / RFC 6928 §2: "if the SYN or SYN/ACK is lost, the initial window used by a sender after a
        // correctly transmitted SYN MUST be one segment"; establishing used to reset it to the full initial window
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        t.s.advance(SECOND);
        t.expect(SYN, t.stack(0), 0); // the SYN again, after the RTO
        t.send(SYN | ACK, t.peer(0), t.stack(1), 65535, mss(1460), NONE);
        t.expect(ACK, t.stack(1), t.peer(1));
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(c.sendMss(), c.cwnd(), "one segment");
    }

    @Test
    void withoutALostSynTheInitialWindowIsTheFullOne()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        t.send(SYN | ACK, t.peer(0), t.stack(1), 65535, mss(1460), NONE);
        t.expect(ACK, t.stack(1), t.peer(1));
        assertEquals(14_600, c.cwnd(), "RFC 6928's initial window: min(10 MSS, max(2 MSS, 14600))");
    }
}
