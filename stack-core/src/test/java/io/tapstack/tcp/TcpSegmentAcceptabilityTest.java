package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.FIN;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * RFC 9293 §3.10.7.4 first (sequence acceptability), second (RST), fourth (SYN), fifth (ACK), with RFC 5961's
 * challenge ACKs; gVisor packetimpact's outside-the-window and unacceptable seq/ack tests.
 */
class TcpSegmentAcceptabilityTest
{
    private static final int WINDOW = 65535;

    @Test
    void outsideTheWindowDataGetsAnAckAndIsDropped()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(ACK | PSH, t.peer(1 + WINDOW), t.stack(1), bytes(10));
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(1), 0);
        assertEquals(WINDOW, ack.window());
        t.expectNothing();
        assertEquals(0, c.readable());
        assertEquals(1, t.count(Counter.TCP_DROP_OUT_OF_WINDOW));
    }

    @Test
    void oldDuplicateDataGetsAnAckAndIsDropped()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(10));
        t.s.advance(TcpScript.SECOND);
        t.expect(ACK, t.stack(1), t.peer(11));
        final byte[] chunk = new byte[10];
        c.read(chunk, 0, 10);
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(10));
        t.expect(ACK, t.stack(1), t.peer(11), 0);
        t.expectNothing();
        assertEquals(0, c.readable());
    }

    @Test
    void outsideTheWindowAckOnlySegmentGetsAnAck()
    {
        final TcpScript t = new TcpScript();
        t.passiveOpen();
        t.send(ACK, t.peer(1 - 1000), t.stack(1));
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.expectNothing();
    }

    @Test
    void outsideTheWindowPureAcksAreAnsweredOncePerIntervalSoAnAckWarIsBounded()
    {
        // RFC 5961 §7 (ACK throttling), Linux's tcp_oow_rate_limited (tcp_invalid_ratelimit, 500 ms): a peer that
        // disagrees with us about the sequence space and sends an unacceptable pure ACK for every ACK it gets
        // would ping-pong ACKs with us without bound; here it sends 1000 in 100 ms and hears back once
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        for (int i = 0; i < 1000; i++)
        {
            t.send(ACK, t.peer(1 - 1000), t.stack(1));
            t.s.advance(100_000);
        }
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.expectNothing();
        assertEquals(1000, t.count(Counter.TCP_DROP_OUT_OF_WINDOW));
        assertEquals(999, t.count(Counter.TCP_OOW_ACKS_RATE_LIMITED));
        // one more answer once the interval since the last answer has passed, and not a nanosecond earlier
        t.s.advance(400 * MS - 1);
        t.send(ACK, t.peer(1 - 1000), t.stack(1));
        t.expectNothing();
        t.s.advance(1);
        t.send(ACK, t.peer(1 - 1000), t.stack(1));
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.send(ACK, t.peer(1 - 1000), t.stack(1));
        t.expectNothing();
        assertEquals(1001, t.count(Counter.TCP_OOW_ACKS_RATE_LIMITED));
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void outOfWindowAckIntervalOfZeroAnswersEveryUnacceptablePureAck()
    {
        // the ping-pong the interval bounds: with it switched off, every one of the peer's ACKs gets an answer
        final TcpScript t = new TcpScript(c -> c.outOfWindowAckIntervalNs(0));
        t.passiveOpen();
        for (int i = 0; i < 1000; i++)
        {
            t.send(ACK, t.peer(1 - 1000), t.stack(1));
            t.expect(ACK, t.stack(1), t.peer(1), 0);
            t.s.advance(100_000);
        }
        t.expectNothing();
        assertEquals(0, t.count(Counter.TCP_OOW_ACKS_RATE_LIMITED));
        assertThrows(IllegalArgumentException.class, () -> new TcpConfig().outOfWindowAckIntervalNs(-1));
    }

    @Test
    void unacceptableSynsShareThePerConnectionOutOfWindowAckInterval()
    {
        // Linux rate-limits SYN-bearing segments too: a SYN may be part of an ACK loop, data alone is not
        final TcpScript t = new TcpScript();
        t.passiveOpen();
        t.send(SYN, t.peer(0), 0);
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.send(SYN, t.peer(0), 0);
        t.send(ACK, t.peer(1 - 1000), t.stack(1));
        t.expectNothing();
        assertEquals(2, t.count(Counter.TCP_OOW_ACKS_RATE_LIMITED));
        // the stack-wide RFC 5961 challenge ACK for an in-window SYN is not this limit
        t.send(SYN, t.peer(100), 0);
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.expectNothing();
    }

    @Test
    void outsideTheWindowResetIsIgnored()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(RST | ACK, t.peer(1 + WINDOW), t.stack(1));
        t.expectNothing();
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void outsideTheWindowWhileClosingInFinWait2GetsAnAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        c.shutdownOutput();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1));
        t.send(ACK, t.peer(1), t.stack(2));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        t.send(ACK | PSH, t.peer(1 + WINDOW), t.stack(2), bytes(10));
        t.expect(ACK, t.stack(2), t.peer(1), 0);
        t.expectNothing();
        assertEquals(TcpState.FIN_WAIT_2, c.state());
    }

    @Test
    void outsideTheWindowWhileClosingInLastAckGetsAnAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(FIN | ACK, t.peer(1), t.stack(1));
        t.expect(ACK, t.stack(1), t.peer(2));
        c.close();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(2));
        assertEquals(TcpState.LAST_ACK, c.state());
        t.send(ACK, t.peer(2 + WINDOW), t.stack(2));
        t.expect(ACK, t.stack(2), t.peer(2), 0);
        t.expectNothing();
        assertEquals(TcpState.LAST_ACK, c.state());
    }

    @Test
    void ackForDataNeverSentGetsAnAckAndTheSegmentIsDropped()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(ACK | PSH, t.peer(1), t.stack(2), bytes(10));
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.expectNothing();
        assertEquals(0, c.readable(), "text of a segment with an unacceptable ACK is dropped");
        assertEquals(t.stack(1), c.sndUna());
        assertEquals(1, t.count(Counter.TCP_DROP_ACK_UNSENT));
    }

    @Test
    void pureAcksForDataNeverSentAreAnsweredOncePerInterval()
    {
        // the same ACK war as out-of-window ACKs: an answer per interval for pure ACKs, every time for data
        final TcpScript t = new TcpScript();
        t.passiveOpen();
        for (int i = 0; i < 1000; i++)
        {
            t.send(ACK, t.peer(1), t.stack(1000));
            t.s.advance(100_000);
        }
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.expectNothing();
        assertEquals(1000, t.count(Counter.TCP_DROP_ACK_UNSENT));
        assertEquals(999, t.count(Counter.TCP_OOW_ACKS_RATE_LIMITED));
        t.send(ACK | PSH, t.peer(1), t.stack(1000), bytes(10));
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.s.advance(400 * MS);
        t.send(ACK, t.peer(1), t.stack(1000));
        t.expect(ACK, t.stack(1), t.peer(1), 0);
    }

    @Test
    void ackForDataNeverSentWhileClosingGetsAnAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        c.shutdownOutput();
        t.s.step();
        t.expect(FIN | ACK, t.stack(1), t.peer(1));
        t.send(ACK, t.peer(1), t.stack(3));
        t.expect(ACK, t.stack(2), t.peer(1), 0);
        assertEquals(TcpState.FIN_WAIT_1, c.state());
    }

    @Test
    void ackTooOldGetsAChallengeAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        // RFC 5961 §5.2: acceptable only in [SND.UNA - MAX.SND.WND, SND.MAX]
        t.send(ACK | PSH, t.peer(1), t.stack(1 - WINDOW - 1), bytes(10));
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.expectNothing();
        assertEquals(0, c.readable());
        assertEquals(1, t.count(Counter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void oldAckWithinMaxSndWndIsAcceptedWithItsData()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(ACK | PSH, t.peer(1), t.stack(1 - 100), bytes(10));
        assertEquals(10, c.readable());
        assertEquals(0, t.count(Counter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void resetExactlyAtRcvNxtResetsTheConnection()
    {
        final TcpScript t = new TcpScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r);
        t.send(RST, t.peer(1), 0);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("reset: connection reset by peer"), r.events);
        assertEquals(0, t.tcp.connectionCount());
    }

    @Test
    void resetInWindowButNotExactGetsAChallengeAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(RST, t.peer(2), 0);
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.expectNothing();
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1, t.count(Counter.TCP_CHALLENGE_ACKS));
    }

    @Test
    void synInEstablishedGetsAChallengeAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        // RFC 5961 §4.2: in window or not, a SYN is answered with an ACK and changes nothing
        t.send(SYN, t.peer(100), 0);
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.send(SYN, t.peer(0), 0);
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.expectNothing();
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void segmentWithoutAckInEstablishedIsDropped()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        t.send(PSH, t.peer(1), 0, bytes(10));
        t.expectNothing();
        assertEquals(0, c.readable());
    }

    @Test
    void challengeAcksAreRateLimitedStackWide()
    {
        // RFC 5961 §7: a flood of in-window resets may not turn the stack into an ACK amplifier
        final TcpScript t = new TcpScript(c -> c.challengeAcksPerSecond(3));
        final TcpConnection c = t.passiveOpen();
        for (int i = 0; i < 5; i++)
        {
            t.send(RST, t.peer(2 + i), 0);
        }
        for (int i = 0; i < 3; i++)
        {
            t.expect(ACK, t.stack(1), t.peer(1), 0);
        }
        t.expectNothing();
        assertEquals(3, t.count(Counter.TCP_CHALLENGE_ACKS));
        assertEquals(2, t.count(Counter.TCP_CHALLENGE_ACKS_RATE_LIMITED));
        t.s.advance(TcpScript.SECOND);
        t.send(RST, t.peer(9), 0);
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        assertEquals(TcpState.ESTABLISHED, c.state());
    }
}
