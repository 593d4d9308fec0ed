package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.mss;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** RFC 9293 §3.10.7.2 (LISTEN), §3.10.4 (closing a listener); the backlog and limits (every limit named, with a counter). */
class TcpListenTest
{
    /** Sends a SYN from {@code port} and returns the stack's ISS from its SYN-ACK. */
    private static int synFrom(final TcpScript t, final int port)
    {
        t.peerPort = port;
        return t.synToListener(1460).seq();
    }

    @Test
    void withoutCookiesTheOldestHalfOpenConnectionMakesRoomForANewSyn()
    {
        // RFC 4987 §3.4: a full half-open queue recycles its oldest entry (quietly: its SYN likely came from a spoof)
        final TcpScript t = new TcpScript(c -> c.synCookies(false));
        final TcpListener l = t.tcp.listen(80, 2, null);
        synFrom(t, 40001);
        synFrom(t, 40002);
        t.peerPort = 40003;
        t.send(SYN, t.peer(0), 0, 65535, mss(1460), NONE);
        final TcpScript.Seg synAck = t.next(); // the new SYN is answered...
        assertEquals(io.tapstack.wire.TcpFlags.describe(SYN | ACK), io.tapstack.wire.TcpFlags.describe(synAck.flags()));
        assertEquals(t.peer(1), synAck.ack());
        t.expectNothing(); // ...and the recycled one is not reset
        assertEquals(1, t.count(Counter.TCP_HALF_OPEN_RECYCLED));
        assertEquals(2, l.halfOpen());
        assertEquals(2, t.tcp.connectionCount());
        // the recycled client's ACK finds no connection: a reset (RFC 9293 §3.10.7.2)
        t.peerPort = 40001;
        t.send(ACK, t.peer(1), 12345);
        t.expect(RST, 12345, 0);
    }

    @Test
    void listenBacklogCountsConnectionsWaitingToBeAccepted()
    {
        final TcpScript t = new TcpScript();
        final TcpListener l = t.tcp.listen(80, 2, null);
        for (int port = 40001; port <= 40002; port++)
        {
            t.stackIss = synFrom(t, port);
            t.send(ACK, t.peer(1), t.stack(1));
        }
        assertEquals(2, l.pending());
        assertEquals(0, l.halfOpen());
        t.peerPort = 40003;
        t.send(SYN, t.peer(0), 0);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_LISTEN_OVERFLOWS));
        // accepting one makes room for one more
        final TcpConnection first = l.accept();
        assertEquals(40001, first.remotePort(), "accept queue is first in, first out");
        synFrom(t, 40003);
    }

    @Test
    void closingAListenerResetsUnacceptedConnections()
    {
        final TcpScript t = new TcpScript();
        final TcpListener l = t.tcp.listen(80, 4, null);
        t.stackIss = synFrom(t, 40001);
        t.send(ACK, t.peer(1), t.stack(1));
        final int established = t.stackIss;
        final int halfOpen = synFrom(t, 40002);
        t.expectNothing();
        l.close();
        t.s.step();
        // both get a reset with SND.NXT as the sequence number
        t.peerPort = 40001;
        t.expect(RST, established + 1, 0);
        t.peerPort = 40002;
        t.expect(RST, halfOpen + 1, 0);
        t.expectNothing();
        assertEquals(0, t.tcp.connectionCount());
        // and the port is closed now
        t.peerPort = 40003;
        t.send(SYN, t.peer(0), 0);
        t.expect(RST | ACK, 0, t.peer(1));
    }

    @Test
    void closingAListenerLeavesAcceptedConnectionsAlone()
    {
        final TcpScript t = new TcpScript();
        final TcpListener l = t.listen(4);
        t.synToListener(1460);
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = t.accepted.get(0);
        l.close();
        t.s.step();
        t.expectNothing();
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1, t.tcp.connectionCount());
    }

    @Test
    void ackToAListenerGetsAReset()
    {
        final TcpScript t = new TcpScript();
        t.listen(4);
        t.send(ACK, t.peer(1), 12345);
        t.expect(RST, 12345, 0);
        t.expectNothing();
    }

    @Test
    void resetToAListenerIsIgnored()
    {
        final TcpScript t = new TcpScript();
        t.listen(4);
        t.send(RST, t.peer(1), 0);
        t.send(RST | ACK, t.peer(1), 5);
        t.expectNothing();
    }

    @Test
    void connectionLimitDropsNewSynsAndRefusesConnects()
    {
        final TcpScript t = new TcpScript(c -> c.maxConnections(1));
        t.tcp.listen(80, 4, null);
        synFrom(t, 40001);
        t.peerPort = 40002;
        t.send(SYN, t.peer(0), 0);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_CONNECTION_LIMIT));
        assertNull(t.tcp.connect(io.tapstack.testkit.SingleStack.PEER_IP, 9, null, t.s.clock.nanoTime()));
        assertEquals(2, t.count(Counter.TCP_CONNECTION_LIMIT));
        assertEquals(1, t.tcp.connectionCount());
    }

    @Test
    void listenerTellsItsHandlerWhenAConnectionIsAcceptable()
    {
        final TcpScript t = new TcpScript();
        final int[] calls = {0};
        final TcpListener l = t.tcp.listen(80, 4, x -> calls[0]++);
        t.synToListener(1460);
        assertEquals(0, calls[0]);
        t.send(ACK, t.peer(1), t.stack(1));
        assertEquals(1, calls[0]);
        final TcpConnection c = l.accept();
        assertSame(TcpState.ESTABLISHED, c.state());
        assertNull(l.accept());
    }
}
