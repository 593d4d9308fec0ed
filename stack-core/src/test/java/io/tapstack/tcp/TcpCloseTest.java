package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.FIN;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Closing: RFC 9293 §3.6 (figures 12-13), §3.10.4, §3.10.7.4 eighth (FIN), TIME-WAIT (§3.6.1); gVisor
 * packetimpact's CLOSE-WAIT, FIN-WAIT-2 timeout and TIME-WAIT reset tests.
 */
class TcpCloseTest
{
    @Test
    void closeWaitAcksTheFinAndReadReturnsEndOfStreamAfterTheData()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        t.send(FIN | ACK | PSH, t.peer(1), t.stack(1), bytes(5));
        t.expect(ACK, t.stack(1), t.peer(7), 0);
        t.expectNothing();
        assertEquals(TcpState.CLOSE_WAIT, c.state());
        assertEquals(List.of("readable", "end"), r.events);
        final byte[] got = new byte[10];
        assertEquals(5, c.read(got, 0, 10));
        assertEquals(-1, c.read(got, 0, 10));
        // we may still send in CLOSE-WAIT
        t.write(c, bytes(3));
        t.expect(ACK | PSH, t.stack(1), t.peer(7), 3);
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(4), t.peer(7), 0);
        assertEquals(TcpState.LAST_ACK, c.state());
        t.send(ACK, t.peer(7), t.stack(5));
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("readable", "end", "closed"), r.events);
        assertEquals(0, t.tcp.connectionCount());
        t.expectNothing();
    }

    @Test
    void closeWaitAcksOutOfWindowSegments()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(FIN | ACK, t.peer(1), t.stack(1));
        t.expect(ACK, t.stack(1), t.peer(2));
        t.send(ACK, t.peer(2 + 70_000), t.stack(1));
        t.expect(ACK, t.stack(1), t.peer(2), 0);
        assertEquals(TcpState.CLOSE_WAIT, c.state());
    }

    @Test
    void activeCloseThroughFinWait1FinWait2AndTimeWait()
    {
        final TcpScript t = new TcpScript(c -> c.timeWaitNs(60 * SECOND));
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1), 0);
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        t.send(ACK, t.peer(1), t.stack(2));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        assertEquals(TcpState.TIME_WAIT, c.state());
        t.s.advance(60 * SECOND - 1);
        assertEquals(TcpState.TIME_WAIT, c.state());
        t.s.advance(1);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(0, t.tcp.connectionCount());
        t.expectNothing();
    }

    @Test
    void finWait2TimesOutAfterClose()
    {
        final TcpScript t = new TcpScript(c -> c.finWait2TimeoutNs(30 * SECOND));
        final TcpConnection c = t.passiveOpen();
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1), 0);
        t.send(ACK, t.peer(1), t.stack(2));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        t.s.advance(30 * SECOND - 1);
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        t.s.advance(1);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(0, t.tcp.connectionCount());
        // the peer's late segment meets a closed port
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.expect(RST, t.stack(2), 0);
    }

    @Test
    void finWait2TimeoutTellsTheHandlerTheConnectionIsGone()
    {
        final TcpScript t = new TcpScript(c -> c.finWait2TimeoutNs(30 * SECOND));
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        c.close();
        t.s.step();
        t.next();
        t.send(ACK, t.peer(1), t.stack(2));
        t.s.advance(30 * SECOND);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("closed"), r.events);
    }

    @Test
    void resetInLastAckAndClosingTellsTheHandlerTheConnectionIsGone()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        t.send(FIN | ACK, t.peer(1), t.stack(1));
        t.next();
        c.close();
        t.s.step();
        t.next();
        assertEquals(TcpState.LAST_ACK, c.state());
        t.send(RST, t.peer(2), 0);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("end", "closed"), r.events);

        final TcpScript t2 = new TcpScript();
        final TcpScript.Recorder r2 = new TcpScript.Recorder();
        final TcpConnection c2 = t2.passiveOpen(1460, r2);
        c2.close();
        t2.s.step();
        t2.next();
        t2.send(FIN | ACK, t2.peer(1), t2.stack(1));
        t2.next();
        assertEquals(TcpState.CLOSING, c2.state());
        t2.send(RST, t2.peer(2), 0);
        assertEquals(TcpState.CLOSED, c2.state());
        assertEquals(List.of("end", "closed"), r2.events);
    }

    @Test
    void timeWaitDoesNotCountAgainstTheConnectionLimit()
    {
        // a server that closes first keeps each connection in TIME-WAIT for 2·MSL; with one connection allowed,
        // a new one is still accepted while the old one waits
        final TcpScript t = new TcpScript(c -> c.maxConnections(1).timeWaitNs(60 * SECOND));
        final TcpConnection first = t.passiveOpen();
        first.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1));
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2));
        assertEquals(TcpState.TIME_WAIT, first.state());
        assertEquals(1, t.tcp.timeWaitCount());
        t.peerPort = 40010;
        final TcpConnection second = t.passiveOpen();
        assertEquals(TcpState.ESTABLISHED, second.state());
        assertEquals(0, t.count(Counter.TCP_CONNECTION_LIMIT));
        t.s.advance(60 * SECOND);
        assertEquals(0, t.tcp.timeWaitCount());
    }

    @Test
    void beyondTheTimeWaitBoundAConnectionClosesAtOnceAfterAcknowledgingTheFin()
    {
        final TcpScript t = new TcpScript(c -> c.maxTimeWait(0));
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1));
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2));
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(1, t.count(Counter.TCP_TIME_WAIT_OVERFLOWS));
        assertEquals(0, t.tcp.connectionCount());
        assertEquals(List.of("end", "closed"), r.events);
    }

    @Test
    void finWait2AfterHalfCloseHasNoTimeout()
    {
        final TcpScript t = new TcpScript(c -> c.finWait2TimeoutNs(30 * SECOND));
        final TcpConnection c = t.passiveOpen();
        c.shutdownOutput();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1), 0);
        t.send(ACK, t.peer(1), t.stack(2));
        t.s.advance(100 * SECOND);
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        // reading goes on
        t.send(ACK | PSH, t.peer(1), t.stack(2), bytes(4));
        assertEquals(4, c.readable());
    }

    @Test
    void finWait2ResetClosesTheConnection()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        c.shutdownOutput();
        t.s.step();
        t.next();
        t.send(ACK, t.peer(1), t.stack(2));
        t.send(RST, t.peer(1), 0);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("reset: connection reset by peer"), r.events);
    }

    @Test
    void finWithDataIsDeliveredThenEndOfStream()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(FIN | ACK | PSH, t.peer(1), t.stack(1), bytes(100));
        t.expect(ACK, t.stack(1), t.peer(102), 0);
        final byte[] got = new byte[200];
        assertEquals(100, c.read(got, 0, 200));
        assertArrayEquals(bytes(100), java.util.Arrays.copyOf(got, 100));
        assertEquals(-1, c.read(got, 0, 200));
    }

    @Test
    void outOfOrderFinWaitsForTheHole()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(FIN | ACK, t.peer(11), t.stack(1));
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        assertEquals(TcpState.ESTABLISHED, c.state());
        t.send(ACK, t.peer(1), t.stack(1), bytes(10));
        t.expect(ACK, t.stack(1), t.peer(12), 0);
        assertEquals(TcpState.CLOSE_WAIT, c.state());
    }

    @Test
    void peerFinFirstThenOurs()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.activeOpen(1460, r);
        t.send(FIN | ACK, t.peer(1), t.stack(1));
        t.expect(ACK, t.stack(1), t.peer(2));
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(2));
        t.send(ACK, t.peer(2), t.stack(2));
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("connected", "end", "closed"), r.events);
    }

    @Test
    void finAckedTogetherWithThePeersFinGoesStraightToTimeWait()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1));
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2));
        assertEquals(TcpState.TIME_WAIT, c.state());
    }

    @Test
    void simultaneousCloseGoesThroughClosing()
    {
        final TcpScript t = new TcpScript(c -> c.timeWaitNs(10 * SECOND));
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1));
        // the peer's FIN crossed ours: it does not acknowledge our FIN
        t.send(FIN | ACK, t.peer(1), t.stack(1));
        t.expect(ACK, t.stack(2), t.peer(2));
        assertEquals(TcpState.CLOSING, c.state());
        t.send(ACK, t.peer(2), t.stack(2));
        assertEquals(TcpState.TIME_WAIT, c.state());
        t.s.advance(10 * SECOND);
        assertEquals(TcpState.CLOSED, c.state());
        t.expectNothing();
        assertEquals(List.of("end", "closed"), r.events);
    }

    @Test
    void retransmittedFinInTimeWaitIsAckedAgainAndRestartsTheTimer()
    {
        final TcpScript t = new TcpScript(c -> c.timeWaitNs(10 * SECOND));
        final TcpConnection c = t.passiveOpen();
        c.close();
        t.s.step();
        t.next();
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2));
        t.s.advance(6 * SECOND);
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        t.expectNothing();
        t.s.advance(6 * SECOND);
        assertEquals(TcpState.TIME_WAIT, c.state(), "2·MSL restarted by the retransmitted FIN");
        t.s.advance(4 * SECOND);
        assertEquals(TcpState.CLOSED, c.state());
    }

    @Test
    void timeWaitResetClosesTheConnection()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        c.close();
        t.s.step();
        t.next();
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.next();
        assertEquals(TcpState.TIME_WAIT, c.state());
        t.send(RST, t.peer(2), 0);
        // RFC 9293 §3.10.7.4 second: RST in TIME-WAIT enters CLOSED (RFC 1337 protection is not applied)
        assertEquals(TcpState.CLOSED, c.state());
        t.expectNothing();
        assertEquals(0, t.tcp.connectionCount());
    }

    @Test
    void timeWaitOutOfWindowSegmentGetsAnAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        c.close();
        t.s.step();
        t.next();
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.next();
        t.send(ACK, t.peer(2 + 70_000), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        assertEquals(TcpState.TIME_WAIT, c.state());
    }

    @Test
    void newSynInTimeWaitStartsANewConnection()
    {
        final TcpScript t = new TcpScript();
        final TcpListener l = t.listen(4);
        t.synToListener(1460);
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = t.accepted.remove(0);
        c.close();
        t.s.step();
        t.next();
        t.send(FIN | ACK, t.peer(1), t.stack(2));
        t.next();
        assertEquals(TcpState.TIME_WAIT, c.state());
        t.peerIss = t.peer(100_000);
        t.synToListener(1460);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(1, l.halfOpen());
    }

    @Test
    void closeWithUnreadDataSendsReset()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(10));
        c.close();
        t.s.step();
        t.expect(RST, t.stack(1), 0);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
    }

    @Test
    void dataAfterCloseIsAnsweredWithReset()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1));
        t.send(ACK | PSH, t.peer(1), t.stack(2), bytes(10));
        t.expect(RST, t.stack(2), 0);
        assertEquals(TcpState.CLOSED, c.state());
        // the owner hears of it: a socket layer forgets the connection only when told (no leak)
        assertEquals(List.of("reset: data arrived after close"), r.events);
    }

    @Test
    void abortSendsResetAtOnce()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.write(c, bytes(10));
        t.next();
        c.abort();
        t.s.step();
        t.expect(RST, t.stack(11), 0);
        t.s.advance(5 * SECOND);
        t.expectNothing();
        assertEquals(0, t.tcp.connectionCount());
    }

    @Test
    void abortAfterAnRtoResetsAtTheHighestSequenceNumberSent()
    {
        // found by reading: the RST carried SND.NXT, which an RTO had moved back to SND.UNA (go-back-N); a peer
        // that got every byte (only its ACKs were lost) has RCV.NXT at SND.MAX and drops a RST below its window
        // (RFC 5961 §3.2), staying half-open. RFC 9293 §3.10.5: <SEQ=SND.NXT>, the highest sent (Linux's too)
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        c.nagle(false);
        t.write(c, bytes(3000));
        t.expect(ACK, t.stack(1), t.peer(1), 1460);
        t.expect(ACK, t.stack(1461), t.peer(1), 1460);
        t.expect(ACK | PSH, t.stack(2921), t.peer(1), 80);
        // the RTO resends one segment (cwnd is one MSS): SND.NXT 1461, SND.MAX 3001
        t.s.advance(200 * MS);
        t.expect(ACK, t.stack(1), t.peer(1), 1460);
        t.expectNothing();
        c.abort();
        t.s.step();
        t.expect(RST, t.stack(3001), 0);
        t.expectNothing();
    }

    @Test
    void abortIntoAZeroWindowResetsAtItsRightEdge()
    {
        // a probe byte a zero window dropped is not counted: the RST goes where the peer expects it, as Linux's
        // tcp_acceptable_seq() does (SND.NXT, or the right edge of the offered window if SND.NXT is beyond it)
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(ACK, t.peer(1), t.stack(1), 0, TcpScript.NONE, TcpScript.NONE);
        t.write(c, bytes(100));
        t.s.advance(200 * MS);
        t.expect(ACK, t.stack(1), t.peer(1), 1);
        c.abort();
        t.s.step();
        t.expect(RST, t.stack(1), 0);
        t.expectNothing();
    }

    @Test
    void closeInSynSentDeletesTheConnectionQuietly()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.connect(null);
        c.close();
        t.s.advance(5 * SECOND);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        t.send(SYN | ACK, t.peer(0), t.stack(1));
        t.expect(RST, t.stack(1), 0);
        assertEquals(0, t.tcp.connectionCount());
        t.s.advance(MS);
    }
}
