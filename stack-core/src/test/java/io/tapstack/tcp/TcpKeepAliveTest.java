package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 1122 §4.2.3.6: keep-alive probes, off by default, one rule per test. */
class TcpKeepAliveTest
{
    private static TcpScript keepAliveScript()
    {
        return new TcpScript(c -> c.keepAliveIdleNs(10 * SECOND).keepAliveIntervalNs(SECOND).keepAliveProbes(3));
    }

    @Test
    void offByDefaultAnIdleConnectionSendsNothingForHours()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        assertFalse(c.keepAlive());
        t.s.advance(3 * 3600 * SECOND);
        t.expectNothing();
    }

    @Test
    void afterTheIdleTimeAProbeCarriesSndNxtMinusOneAndNoData()
    {
        final TcpScript t = keepAliveScript();
        final TcpConnection c = t.passiveOpen().keepAlive(true);
        t.s.advance(10 * SECOND - MS);
        t.expectNothing();
        t.s.advance(MS);
        t.expect(ACK, t.stack(0), t.peer(1), 0);
        assertEquals(1, t.count(Counter.TCP_KEEPALIVE_PROBES));
        assertTrue(c.keepAlive());
    }

    @Test
    void anAnsweredProbeKeepsTheConnectionAndTheNextWaitsTheIdleTimeAgain()
    {
        final TcpScript t = keepAliveScript();
        final TcpConnection c = t.passiveOpen().keepAlive(true);
        t.s.advance(10 * SECOND);
        t.expect(ACK, t.stack(0), t.peer(1), 0);
        t.s.advance(100 * MS);
        t.send(ACK, t.peer(1), t.stack(1)); // the peer's answer
        t.s.advance(10 * SECOND - MS);
        t.expectNothing();
        t.s.advance(MS);
        t.expect(ACK, t.stack(0), t.peer(1), 0);
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void trafficFromThePeerPostponesTheProbe()
    {
        final TcpScript t = keepAliveScript();
        t.passiveOpen().keepAlive(true);
        t.s.advance(6 * SECOND);
        t.send(ACK, t.peer(1), t.stack(1), new byte[] {1});
        t.s.advance(200 * MS);
        t.expect(ACK, t.stack(1), t.peer(2), 0); // the delayed ACK of the byte
        t.s.advance(6 * SECOND);
        t.expectNothing(); // 10 s since the connection opened, but only 6.2 s since the peer spoke
        t.s.advance(4 * SECOND);
        t.expect(ACK, t.stack(0), t.peer(2), 0);
    }

    @Test
    void unansweredProbesResetTheConnectionAfterTheLastInterval()
    {
        final TcpScript t = keepAliveScript();
        final TcpScript.Recorder r = new TcpScript.Recorder();
        final TcpConnection c = t.passiveOpen(1460, r).keepAlive(true);
        t.s.advance(10 * SECOND);
        t.expect(ACK, t.stack(0), t.peer(1), 0);
        t.s.advance(SECOND);
        t.expect(ACK, t.stack(0), t.peer(1), 0);
        t.s.advance(SECOND);
        t.expect(ACK, t.stack(0), t.peer(1), 0);
        t.s.advance(SECOND);
        t.expect(RST, t.stack(1), 0);
        t.expectNothing();
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of("reset: connection timed out: keep-alive probes unanswered"), r.events);
        assertEquals(1, t.count(Counter.TCP_KEEPALIVE_TIMEOUTS));
    }

    @Test
    void noProbeWhileDataIsInFlight()
    {
        // the retransmission timer watches the peer then; keep-alive waits until the connection is idle
        final TcpScript t = new TcpScript(c -> c.keepAliveIdleNs(SECOND).keepAliveIntervalNs(SECOND)
            .keepAliveProbes(3).userTimeoutNs(3600 * SECOND).maxRtoNs(600 * SECOND));
        final TcpConnection c = t.passiveOpen().keepAlive(true);
        t.write(c, new byte[100]);
        t.expect(ACK | TcpScript.PSH, t.stack(1), t.peer(1), 100);
        t.s.advance(5 * SECOND);
        // only retransmissions of the 100 bytes, never a keep-alive probe
        TcpScript.Seg seg;
        int retransmissions = 0;
        while ((seg = t.nextOrNull()) != null)
        {
            assertEquals(100, seg.len(), "a probe while data was in flight: " + seg);
            retransmissions++;
        }
        assertTrue(retransmissions > 0);
        assertEquals(0, t.count(Counter.TCP_KEEPALIVE_PROBES));
    }

    @Test
    void configTurnsItOnForNewConnections()
    {
        final TcpScript t = new TcpScript(c -> c.keepAlive(true).keepAliveIdleNs(10 * SECOND));
        assertTrue(t.passiveOpen().keepAlive());
        t.s.advance(10 * SECOND);
        t.expect(ACK, t.stack(0), t.peer(1), 0);
    }
}
