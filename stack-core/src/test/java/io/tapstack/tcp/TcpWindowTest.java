package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.FIN;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flow control: RFC 9293 §3.8.6 (zero windows, probing, SWS avoidance, the right edge that never moves left);
 * gVisor packetimpact's zero receive window, zero-window probe (retransmit, user timeout), window shrink and
 * window-with-the-top-bit-set tests.
 */
class TcpWindowTest
{
    /** Passive open with an RTT of 100 ms (RTO 300 ms). */
    private static TcpConnection open(final TcpScript t)
    {
        t.listen(4);
        t.synToListener(1460);
        t.s.advance(100 * MS);
        t.send(ACK, t.peer(1), t.stack(1));
        return t.accepted.remove(0);
    }

    @Test
    void zeroReceiveWindowWhenTheBufferIsFullThenAnUpdateAsSoonAsTheAppReads()
    {
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(4096));
        final TcpConnection c = t.passiveOpen();
        t.send(ACK, t.peer(1), t.stack(1), bytes(1460));
        t.send(ACK, t.peer(1461), t.stack(1), bytes(1460));
        assertEquals(4096 - 2920, t.expect(ACK, t.stack(1), t.peer(2921), 0).window());
        t.send(ACK | PSH, t.peer(2921), t.stack(1), bytes(1176));
        t.s.advance(40 * MS);
        assertEquals(0, t.expect(ACK, t.stack(1), t.peer(4097), 0).window());
        // more data is out of the (zero) window
        t.send(ACK | PSH, t.peer(4097), t.stack(1), bytes(10));
        assertEquals(0, t.expect(ACK, t.stack(1), t.peer(4097), 0).window());
        // a small read is not worth announcing (receiver SWS avoidance)
        final byte[] buf = new byte[4096];
        assertEquals(100, c.read(buf, 0, 100));
        t.s.step();
        t.expectNothing();
        // reading enough sends a window update at once, with no timer
        assertEquals(2000, c.read(buf, 0, 2000));
        t.s.step();
        assertEquals(2100, t.expect(ACK, t.stack(1), t.peer(4097), 0).window());
        t.expectNothing();
    }

    @Test
    void rightEdgeOfTheAnnouncedWindowNeverMovesLeft()
    {
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(10_000));
        final TcpConnection c = t.passiveOpen();
        int seq = 1;
        int edge = t.peer(1) + 10_000;
        for (int i = 0; i < 6; i++)
        {
            t.send(ACK | PSH, t.peer(seq), t.stack(1), bytes(1000));
            seq += 1000;
            t.s.advance(40 * MS);
            final TcpScript.Seg ack = t.next();
            final int right = ack.ack() + ack.window();
            assertTrue(io.tapstack.wire.SeqNum.ge(right, edge), "right edge moved left: " + ack);
            edge = right;
            // the application reads a little each time
            c.read(new byte[300], 0, 300);
        }
    }

    @Test
    void zeroWindowProbeWithPersistBackoff()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = open(t);
        // the peer closes its window
        t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        final byte[] data = bytes(100);
        t.write(c, data);
        t.expectNothing();
        long wait = 300 * MS;
        for (int i = 0; i < 3; i++)
        {
            t.s.advance(wait - 1);
            t.expectNothing();
            t.s.advance(1);
            final TcpScript.Seg probe = t.expect(ACK, t.stack(1), t.peer(1), 1);
            assertEquals(data[0], probe.data()[0]);
            // the peer still has no room: it acknowledges nothing new
            t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
            t.expectNothing();
            wait *= 2;
        }
        assertEquals(3, t.count(Counter.TCP_ZERO_WINDOW_PROBES));
        // the window opens: everything goes from SND.UNA
        t.send(ACK, t.peer(1), t.stack(1), 1000, NONE, NONE);
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 100);
        t.expectNothing();
    }

    @Test
    void zeroWindowProbeAcceptedByThePeer()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = open(t);
        t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        t.write(c, bytes(100));
        t.s.advance(300 * MS);
        t.expect(ACK, t.stack(1), t.peer(1), 1);
        // the peer took the byte and opened its window
        t.send(ACK, t.peer(1), t.stack(2), 5000, NONE, NONE);
        t.expect(ACK | PSH, t.stack(2), t.peer(1), 99);
        t.expectNothing();
    }

    @Test
    void zeroWindowProbesUnansweredHitTheUserTimeout()
    {
        final TcpScript t = new TcpScript(c -> c.userTimeoutNs(5 * SECOND));
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = open(t);
        c.handler(r);
        t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        t.write(c, bytes(100));
        t.s.advance(10 * SECOND);
        // probes at 0.3, 0.9, 2.1, 4.5 s, then at 9.3 s the peer has been silent for more than 5 s
        for (int i = 0; i < 4; i++)
        {
            t.expect(ACK, t.stack(1), t.peer(1), 1);
        }
        t.expect(RST, t.stack(1), 0);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("reset: user timeout: zero-window probes unanswered"), r.events);
    }

    @Test
    void minUnansweredProbesOfTwoGivesUpAfterTwoUnansweredProbesOnceTheUserTimeoutHasPassed()
    {
        // RFC 1122 §4.2.3.5 (R2): the user timeout counted from the first unanswered probe, and at least
        // minUnansweredProbes probes (the default 4 would send two more, at 2.1 and 4.5 s, and give up at 9.3 s)
        final TcpScript t = new TcpScript(c -> c.userTimeoutNs(SECOND).minUnansweredProbes(2));
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = open(t);
        c.handler(r);
        t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        t.write(c, bytes(100));
        // probes at 0.3 and 0.9 s: at 0.9 s only one went unanswered, so the second goes out
        t.s.advance(300 * MS);
        t.expect(ACK, t.stack(1), t.peer(1), 1);
        t.s.advance(600 * MS);
        t.expect(ACK, t.stack(1), t.peer(1), 1);
        t.s.advance(1200 * MS - 1);
        t.expectNothing();
        // at 2.1 s two probes went unanswered and the first was sent 1.8 s ago
        t.s.advance(1);
        t.expect(RST, t.stack(1), 0);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("reset: user timeout: zero-window probes unanswered"), r.events);
        assertEquals(2, t.count(Counter.TCP_ZERO_WINDOW_PROBES));
        assertEquals(1, t.count(Counter.TCP_USER_TIMEOUTS));
        assertThrows(IllegalArgumentException.class, () -> new TcpConfig().minUnansweredProbes(0));
    }

    @Test
    void idlingBehindAZeroWindowLongerThanTheUserTimeoutDoesNotAbortTheFirstProbe()
    {
        // found by TcpStateMachineProperties: silence must count from the start of probing, not the last ACK
        final TcpScript t = new TcpScript(c -> c.userTimeoutNs(5 * SECOND));
        final TcpConnection c = open(t);
        t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        t.s.advance(50 * SECOND); // ten user timeouts, within the ARP cache's 60 s
        t.expectNothing();
        t.write(c, bytes(100));
        t.s.advance(2 * SECOND);
        final TcpScript.Seg probe = t.next();
        assertEquals(1, probe.data().length, "a one-byte probe, not a reset: " + probe);
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void oneLostProbeAtTheCappedIntervalDoesNotHitTheUserTimeout()
    {
        // found by TcpStateMachineHunt: the silence counted from the peer's last ACK, so with the probe interval
        // at its cap (here 2 s) and a user timeout of two intervals, a single lost probe reset a live connection
        final TcpScript t = new TcpScript(c -> c.userTimeoutNs(4 * SECOND).maxRtoNs(2 * SECOND));
        final TcpConnection c = open(t);
        t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        t.write(c, bytes(100));
        // probes at 0.3, 0.9, 2.1, 4.1 s (the interval reached its 2 s cap), each answered with a zero window
        for (final long wait : new long[] {300 * MS, 600 * MS, 1200 * MS, 2 * SECOND})
        {
            t.s.advance(wait);
            t.expect(ACK, t.stack(1), t.peer(1), 1);
            t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        }
        // the probe at 6.1 s is lost: at 8.1 s the peer was silent 4 s, but only one probe went unanswered
        // (Linux counts from the first unanswered probe too, icsk_probes_tstamp)
        t.s.advance(2 * SECOND);
        t.expect(ACK, t.stack(1), t.peer(1), 1);
        t.s.advance(2 * SECOND);
        t.expect(ACK, t.stack(1), t.peer(1), 1);
        t.expectNothing();
        assertEquals(TcpState.ESTABLISHED, c.state());
        // the peer answers again: it is alive, probing goes on
        t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        t.s.advance(2 * SECOND);
        t.expect(ACK, t.stack(1), t.peer(1), 1);
        // a peer that stops answering still times out (RFC 1122 §4.2.3.5 R2): 4 s after the first probe it
        // left unanswered, once it left 4 unanswered (R1 is at least 3 retransmissions)
        for (int i = 0; i < 3; i++)
        {
            t.s.advance(2 * SECOND);
            t.expect(ACK, t.stack(1), t.peer(1), 1);
        }
        t.expectNothing();
        t.s.advance(2 * SECOND);
        t.expect(RST, t.stack(1), 0);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals("user timeout: zero-window probes unanswered", c.resetReason());
    }

    @Test
    void pureAckOnePastRcvNxtIntoAZeroWindowIsTakenWithoutAnAnswer()
    {
        // found by TcpStateMachineProperties (CI seed, sample seed 116564) with pure ACKs at SND.MAX while
        // probing: two ends with closed windows whose pure ACKs both carried SEQ = RCV.NXT + 1 (each counts its
        // dropped probe byte) answered each other's ACKs forever; with 10% duplication the ACK war filled the link
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(1460));
        final TcpConnection c = open(t);
        c.nagle(false);
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(1460));
        t.s.advance(40 * MS);
        assertEquals(0, t.expect(ACK, t.stack(1), t.peer(1461), 0).window());
        // the peer probes our zero window: the byte is dropped, the probe answered
        t.send(ACK, t.peer(1461), t.stack(1), bytes(1));
        assertEquals(0, t.expect(ACK, t.stack(1), t.peer(1461), 0).window());
        t.write(c, bytes(100));
        t.expect(ACK | PSH, t.stack(1), t.peer(1461), 100);
        // the peer's ACK carries its SND.NXT, past the probe byte: its ACK field counts (RFC 9293 §3.10.7.4
        // special allowance) and, being an ACK, it gets none back
        t.send(ACK, t.peer(1462), t.stack(101));
        t.expectNothing();
        assertEquals(t.stack(101), c.sndUna());
        // an old-looking pure ACK (a keep-alive, or Linux's window probe at SND.UNA - 1) is still answered
        t.send(ACK, t.peer(1460), t.stack(101));
        t.expect(ACK, t.stack(101), t.peer(1461), 0);
        t.expectNothing();
    }

    @Test
    void zeroWindowProbesAreAnsweredEveryTimeWhileUnacceptablePureAcksAreRateLimited()
    {
        // Linux's tcp_oow_rate_limited: "data packets without SYNs are not likely part of an ACK loop", so a
        // probe of our zero window (unacceptable: RFC 9293 §3.10.7.4) always gets its ACK with the window
        // (RFC 9293 §3.8.6.1); only pure ACKs share the per-connection interval (RFC 5961 §7)
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(1460));
        final TcpConnection c = open(t);
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(1460));
        t.s.advance(40 * MS);
        assertEquals(0, t.expect(ACK, t.stack(1), t.peer(1461), 0).window());
        for (int i = 0; i < 100; i++)
        {
            t.send(ACK, t.peer(1461), t.stack(1), bytes(1));
            assertEquals(0, t.expect(ACK, t.stack(1), t.peer(1461), 0).window());
            // an old-looking pure ACK between the probes: answered the first time only
            t.send(ACK, t.peer(1460), t.stack(1));
            if (i == 0)
            {
                t.expect(ACK, t.stack(1), t.peer(1461), 0);
            }
            t.expectNothing();
            t.s.advance(MS);
        }
        assertEquals(1460, c.readable(), "the probe bytes were dropped");
        assertEquals(99, t.count(Counter.TCP_OOW_ACKS_RATE_LIMITED));
        // once the application reads, the next probe byte is taken
        c.read(new byte[1460], 0, 1460);
        t.s.step();
        t.expect(ACK, t.stack(1), t.peer(1461), 0);
        t.send(ACK, t.peer(1461), t.stack(1), bytes(1));
        t.s.advance(40 * MS);
        t.expect(ACK, t.stack(1), t.peer(1462), 0);
        t.expectNothing();
    }

    @Test
    void pureAckAfterAZeroWindowProbeCarriesTheSequenceNumberPastTheProbeByte()
    {
        // found by TcpStateMachineHunt (healthy link, jqwik seed -3615305792887492507): both ends probed each
        // other's zero window and both took the other's probe byte when their readers freed space; their pure
        // ACKs carried SND.NXT without the probe byte, one below the other's RCV.NXT: "old", dropped and
        // answered with another such ACK, so neither heard the other's ACK until both timed out
        final TcpScript t = new TcpScript();
        final TcpConnection c = open(t);
        t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        t.write(c, bytes(100));
        t.s.advance(300 * MS);
        t.expect(ACK, t.stack(1), t.peer(1), 1);
        // the peer (its window reopened) takes the probe byte; its data crosses our probe, acknowledging less
        t.send(ACK | PSH, t.peer(1), t.stack(1), 0, NONE, bytes(10));
        t.s.advance(40 * MS);
        // RFC 9293 §3.3.1: SEQ is SND.NXT, which counts every octet sent, the probe byte too
        t.expect(ACK, t.stack(2), t.peer(11), 0);
        t.expectNothing();
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void windowShrinkStopsNewDataAndProbesTheWindow()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = open(t);
        c.nagle(false);
        t.write(c, bytes(1000));
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 1000);
        // the peer acknowledges 100 bytes and shrinks its window to zero (the right edge moves left)
        t.send(ACK, t.peer(1), t.stack(101), 0, NONE, NONE);
        t.write(c, bytes(10));
        t.expectNothing();
        // the unacknowledged bytes are still retransmitted to probe the window (RFC 9293 §3.8.6.1)
        // (the ACK measured 0 ms: RTO 337.5 ms, then 675 ms backed off)
        // (only what was sent before, up to SND.MAX: the 10 new bytes wait for the window)
        t.s.advance(337_500_000L);
        t.expect(ACK | PSH, t.stack(101), t.peer(1), 900);
        t.s.advance(675_000_000L);
        t.expect(ACK | PSH, t.stack(101), t.peer(1), 900);
        t.expectNothing();
        // the window reopens: sending resumes after what was acknowledged
        t.send(ACK, t.peer(1), t.stack(1001), 65535, NONE, NONE);
        t.expect(ACK | PSH, t.stack(1001), t.peer(1), 10);
        t.expectNothing();
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void smallWindowIsUsedAfterTheOverrideTimeout()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = open(t);
        // a window smaller than a segment and than half the largest window seen (sender SWS avoidance holds
        // the data), with nothing in flight: without the override timeout of §3.8.6.2.1 this would stall
        t.send(ACK, t.peer(1), t.stack(1), 300, NONE, NONE);
        t.write(c, bytes(1000));
        t.expectNothing();
        // the override fires with the persist timer (one RTO, 300 ms); later the RTO would resend the 300 bytes
        t.s.advance(300 * MS);
        t.expect(ACK, t.stack(1), t.peer(1), 300);
        t.send(ACK, t.peer(1), t.stack(301), 65535, NONE, NONE);
        t.expect(ACK | PSH, t.stack(301), t.peer(1), 700);
    }

    @Test
    void windowWithTheTopBitSetIsReadUnsigned()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = open(t);
        c.nagle(false);
        t.send(ACK, t.peer(1), t.stack(1), 0xFFFF, NONE, NONE);
        assertEquals(65535, c.sndWnd());
        t.send(ACK, t.peer(1), t.stack(1), 0x8000, NONE, NONE);
        assertEquals(32768, c.sndWnd());
        t.write(c, bytes(3000));
        t.expect(ACK, t.stack(1), t.peer(1), 1460);
        t.expect(ACK, t.stack(1461), t.peer(1), 1460);
        t.expect(ACK | PSH, t.stack(2921), t.peer(1), 80);
    }

    @Test
    void senderNeverExceedsTheOfferedWindow()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = open(t);
        c.nagle(false);
        t.send(ACK, t.peer(1), t.stack(1), 2000, NONE, NONE);
        t.write(c, bytes(5000));
        t.expect(ACK, t.stack(1), t.peer(1), 1460);
        // the 540 bytes left in the window wait for the ACK (sender SWS avoidance, RFC 9293 §3.8.6.2.1)
        t.expectNothing();
        t.send(ACK, t.peer(1), t.stack(1461), 2000, NONE, NONE);
        t.expect(ACK, t.stack(1461), t.peer(1), 1460);
        t.expectNothing();
    }

    /**
     * Found by the healthy-link property (jqwik seed -4967182014445639536, sample seed 120137): a FIN sent just as
     * the peer's window closed. The peer (RFC-conformant) drops the FIN while its window is zero and answers every
     * retransmission with a zero-window ACK. Each RTO sent the FIN twice, the second send moved SND.NXT past it so
     * it did not go again when the window opened, and the RTO after that counted the whole zero-window period
     * from the first retransmission as silence: "user timeout" although the peer had answered all along
     * (RFC 1122 §4.2.2.17).
     */
    @Test
    void finRefusedByAZeroWindowGoesOncePerRtoAgainWhenTheWindowOpensAndDoesNotTimeOut()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = open(t);
        c.shutdownOutput();
        t.s.step();
        t.expect(ACK | FIN, t.stack(1), t.peer(1), 0);
        // the peer's window closed before the FIN arrived: it acknowledges nothing, with a zero window
        t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
        t.expectNothing();
        long wait = 300 * MS;
        long elapsed = 0;
        while (elapsed < 130 * SECOND)
        {
            t.s.advance(wait - MS);
            t.s.learnPeer(); // the scripted peer answers no ARP: keep its entry (60 s) fresh
            t.s.advance(MS);
            elapsed += wait;
            t.expect(ACK | FIN, t.stack(1), t.peer(1), 0);
            t.expectNothing(); // once per RTO, not twice
            t.send(ACK, t.peer(1), t.stack(1), 0, NONE, NONE);
            t.expectNothing();
            wait = Math.min(wait * 2, 60 * SECOND);
        }
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        // the window opens: the FIN goes at once
        t.s.advance(SECOND);
        t.send(ACK, t.peer(1), t.stack(1), 1000, NONE, NONE);
        t.expect(ACK | FIN, t.stack(1), t.peer(1), 0);
        t.expectNothing();
        // its ACK is lost: the next RTO retransmits it; the peer answered a second ago, so no user timeout
        t.s.learnPeer();
        t.s.advance(60 * SECOND);
        t.expect(ACK | FIN, t.stack(1), t.peer(1), 0);
        assertEquals(0, t.count(Counter.TCP_USER_TIMEOUTS));
        t.send(ACK, t.peer(1), t.stack(2), 1000, NONE, NONE);
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        t.expectNothing();
    }
}
