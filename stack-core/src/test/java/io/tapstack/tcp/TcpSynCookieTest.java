package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.RST;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.mss;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** RFC 4987 §3.6: SYN cookies when a listener's half-open queue is full, one rule per test. */
class TcpSynCookieTest
{
    /** A listener with room for two half-open connections, both taken by SYNs nobody completes. */
    private static TcpScript fullHalfOpenQueue(final TcpListener[] listener)
    {
        final TcpScript t = new TcpScript();
        listener[0] = t.tcp.listen(80, 2, null);
        for (int port = 40001; port <= 40002; port++)
        {
            t.peerPort = port;
            t.synToListener(1460);
        }
        t.peerPort = 40003;
        return t;
    }

    /** The third client's SYN: returns the SYN-ACK, whose sequence number is the cookie. */
    private static TcpScript.Seg cookieSynAck(final TcpScript t, final int mss)
    {
        t.send(SYN, t.peer(0), 0, 65535, mss(mss), NONE);
        final TcpScript.Seg synAck = t.next();
        assertEquals(TcpFlags.describe(SYN | ACK), TcpFlags.describe(synAck.flags()), "SYN-ACK; got " + synAck);
        assertEquals(t.peer(1), synAck.ack());
        t.stackIss = synAck.seq();
        return synAck;
    }

    @Test
    void aFullHalfOpenQueueAnswersWithACookieAndKeepsNoState()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        final TcpScript.Seg synAck = cookieSynAck(t, 1460);
        assertEquals(1460, synAck.mss(), "our MSS in the cookie's SYN-ACK");
        t.expectNothing();
        assertEquals(2, t.tcp.connectionCount(), "no state for the cookie's client");
        assertEquals(2, l[0].halfOpen());
        assertEquals(1, t.count(Counter.TCP_SYN_COOKIES_SENT));
    }

    @Test
    void theAckBringingTheCookieBackEstablishesAConnectionWithItsData()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        cookieSynAck(t, 1460);
        final byte[] request = "GET /".getBytes(StandardCharsets.US_ASCII);
        t.send(ACK, t.peer(1), t.stack(1), request);
        assertEquals(1, t.count(Counter.TCP_SYN_COOKIES_VALID));
        assertEquals(1, l[0].pending());
        final TcpConnection c = l[0].accept();
        assertNotNull(c);
        assertEquals(40003, c.remotePort());
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1460, c.sendMss(), "the MSS the cookie carried");
        assertEquals(request.length, c.readable(), "the data on the completing ACK is delivered");
        assertEquals(2, l[0].halfOpen(), "the flood's entries are still there");
        // and the connection works both ways
        assertEquals(2, c.write(new byte[] {'o', 'k'}, 0, 2));
        t.s.step();
        t.expect(ACK | TcpScript.PSH, t.stack(1), t.peer(1 + request.length), 2);
    }

    @Test
    void theCookieCarriesTheLargestMssOfItsTableNotAboveThePeers()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        cookieSynAck(t, 1000);
        t.send(ACK, t.peer(1), t.stack(1));
        assertEquals(536, l[0].accept().sendMss(), "1000 falls between 536 and 1024 in the table");
    }

    @Test
    void aForgedCookieIsAnsweredWithAReset()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        cookieSynAck(t, 1460);
        t.send(ACK, t.peer(1), t.stack(1) + 1);
        t.expect(RST, t.stack(2), 0); // RFC 9293 §3.10.7.2: <SEQ=SEG.ACK><CTL=RST>
        assertEquals(0, l[0].pending());
        assertEquals(1, t.count(Counter.TCP_SYN_COOKIES_INVALID));
    }

    @Test
    void aCookieFromAnotherClientIsNotValidForThisOne()
    {
        // the cookie binds the 4-tuple and the client's ISN: replaying it from another port fails
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        cookieSynAck(t, 1460);
        t.peerPort = 40004;
        t.send(ACK, t.peer(1), t.stack(1));
        t.expect(RST, t.stack(1), 0);
        assertEquals(0, l[0].pending());
    }

    @Test
    void aCookieExpiresAfterTwoSlotsOfSixtyFourSeconds()
    {
        final TcpScript t = new TcpScript(c -> c.synAckRetries(1));
        final TcpListener l = t.tcp.listen(80, 1, null);
        t.peerPort = 40001;
        t.synToListener(1460);
        t.peerPort = 40002;
        cookieSynAck(t, 1460);
        t.s.advance(3 * SynCookies.SLOT_NS + SECOND);
        while (t.nextOrNull() != null)
        {
            // the half-open entry's SYN-ACK retries, then it goes
        }
        t.s.learnPeer(); // the ARP entry expired meanwhile
        t.peerPort = 40002;
        t.send(ACK, t.peer(1), t.stack(1));
        t.expect(RST, t.stack(1), 0);
        assertEquals(0, l.pending());
    }

    @Test
    void withCookiesOffAFullAcceptQueueStillDropsTheSyn()
    {
        final TcpScript t = new TcpScript(c -> c.synCookies(false));
        final TcpListener l = t.tcp.listen(80, 1, null);
        t.peerPort = 40001;
        t.stackIss = t.synToListener(1460).seq();
        t.send(ACK, t.peer(1), t.stack(1));
        assertEquals(1, l.pending());
        t.peerPort = 40002;
        t.send(SYN, t.peer(0), 0, 65535, mss(1460), NONE);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_LISTEN_OVERFLOWS));
    }
}
