package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

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
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPermitted;
import static io.tapstack.tcp.TcpScript.ts;
import static io.tapstack.tcp.TcpScript.wscale;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 4987 §3.6: SYN cookies when a listener's half-open queue is full, one rule per test; with timestamps in the SYN
 * the cookie's SYN-ACK carries the window scale and SACK-permitted options in its TSval (RFC 7323 §2.2, §3.2,
 * RFC 2018 §2), and the ACK's TSecr brings them back.
 */
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

    /** The peer's TSval on its SYN. */
    private static final int PEER_TS = 7000;

    /** The third client's SYN with these options: returns the cookie's SYN-ACK. */
    private static TcpScript.Seg cookieSynAck(final TcpScript t, final byte[] synOptions)
    {
        t.send(SYN, t.peer(0), 0, 65535, synOptions, NONE);
        final TcpScript.Seg synAck = t.next();
        assertEquals(TcpFlags.describe(SYN | ACK), TcpFlags.describe(synAck.flags()), "SYN-ACK; got " + synAck);
        t.stackIss = synAck.seq();
        return synAck;
    }

    /** The shift a connection's SYN-ACK offers when it is made with state (no cookie) on the same configuration. */
    private static int shiftOfAStatefulSynAck()
    {
        final TcpScript t = new TcpScript();
        t.listen(4);
        return t.synToListener(options(mss(1460), sackPermitted(), ts(PEER_TS, 0), wscale(7))).wscale();
    }

    @Test
    void rfc4987s3_6_withTimestampsTheCookieConnectionNegotiatesWindowScaleSackAndTimestamps()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        final TcpScript.Seg synAck = cookieSynAck(t, options(mss(1460), sackPermitted(), ts(PEER_TS, 0), wscale(7)));
        assertEquals(1460, synAck.mss(), "got " + synAck);
        assertTrue(synAck.ts(), "RFC 7323 §3.2: timestamps because the SYN had them; got " + synAck);
        assertEquals(PEER_TS, synAck.tsEcr(), "TSecr echoes the SYN's TSval");
        assertEquals(SynCookies.tsOptions(7, true), SynCookies.tsOptionsOf(synAck.tsVal()),
            "the SYN's wscale 7 and SACK-permitted in the TSval's low bits");
        assertTrue(synAck.sackPermitted(), "RFC 2018 §2; got " + synAck);
        assertEquals(shiftOfAStatefulSynAck(), synAck.wscale(), "our shift, as a connection with state offers it");
        assertEquals(2, t.tcp.connectionCount(), "still no state for the cookie's client");
        assertEquals(1, t.count(Counter.TCP_SYN_COOKIES_WITH_OPTIONS));

        t.s.advance(10 * MS);
        t.send(ACK, t.peer(1), t.stack(1), 1000, ts(PEER_TS + 10, synAck.tsVal()), NONE);
        assertEquals(1, t.count(Counter.TCP_SYN_COOKIES_VALID));
        final TcpConnection c = l[0].accept();
        assertNotNull(c);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1000 << 7, c.sndWnd(), "RFC 7323 §2.2: the ACK's window is scaled by the SYN's shift 7");
        assertEquals(1460 - 12, c.sendMss(), "RFC 7323 §3.2, RFC 6691: the MSS less the 12 bytes of timestamps");

        // timestamps on every segment, TSecr from TS.Recent (the ACK's TSval), TSval from the SYN-ACK's clock
        t.write(c, bytes(10));
        final TcpScript.Seg data = t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        assertTrue(data.ts(), "got " + data);
        assertEquals(PEER_TS + 10, data.tsEcr());
        final int ahead = data.tsVal() - synAck.tsVal();
        assertTrue(ahead >= 10 && ahead < 10 + 32, "the SYN-ACK's clock went on for 10 ms: " + ahead);

        // SACK: a segment above a hole is acknowledged with a SACK block (RFC 2018 §4)
        t.send(ACK, t.peer(101), t.stack(11), 1000, ts(PEER_TS + 20, data.tsVal()), bytes(100));
        final TcpScript.Seg ack = t.expect(ACK, t.stack(11), t.peer(1), 0);
        assertArrayEquals(new int[] {t.peer(101), t.peer(201)}, ack.sack(), "got " + ack);
        assertEquals(1, t.count(Counter.TCP_WINDOW_SCALE_NEGOTIATED));
        assertEquals(1, t.count(Counter.TCP_TIMESTAMPS_NEGOTIATED));
        assertEquals(1, t.count(Counter.TCP_SACK_PERMITTED_NEGOTIATED));
    }

    @Test
    void rfc4987s3_6_ourAnnouncedWindowIsScaledOnACookieConnection()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        final TcpScript.Seg synAck = cookieSynAck(t, options(mss(1460), ts(PEER_TS, 0), wscale(2)));
        assertFalse(synAck.sackPermitted(), "the SYN had no SACK-permitted; got " + synAck);
        t.send(ACK, t.peer(1), t.stack(1), 1000, ts(PEER_TS + 1, synAck.tsVal()), bytes(100));
        final TcpConnection c = l[0].accept();
        t.s.advance(SECOND); // the delayed ACK
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(101), 0);
        final int free = t.config.receiveBufferBytes() - 100;
        assertEquals(free >>> synAck.wscale(), ack.window(), "RFC 7323 §2.3: our window field is shifted; got " + ack);
        assertEquals(0, ack.sack().length, "no SACK without SACK-permitted");
        assertEquals(1000 << 2, c.sndWnd());
    }

    @Test
    void rfc4987s3_6_aForgedTsecrIsRejectedLikeAForgedCookie()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        final TcpScript.Seg synAck = cookieSynAck(t, options(mss(1460), ts(PEER_TS, 0), wscale(7)));
        // an attacker who saw no SYN-ACK, or a middlebox, claims a different window scale and SACK in TSecr
        final int forged = synAck.tsVal() ^ SynCookies.tsOptions(3, true) ^ SynCookies.tsOptions(7, false);
        t.send(ACK, t.peer(1), t.stack(1), 1000, ts(PEER_TS + 1, forged), NONE);
        t.expect(RST, t.stack(1), 0); // RFC 9293 §3.10.7.2: <SEQ=SEG.ACK><CTL=RST>
        assertEquals(0, l[0].pending());
        assertEquals(1, t.count(Counter.TCP_SYN_COOKIES_INVALID));
        // the genuine echo still works
        t.send(ACK, t.peer(1), t.stack(1), 1000, ts(PEER_TS + 1, synAck.tsVal()), NONE);
        assertEquals(1, l[0].pending());
    }

    // RFC 7323 §3.2: timestamps are in use only if both sides sent them; Linux's cookie_timestamp_decode
    @Test
    void rfc7323s3_2_anAckWithoutTheTimestampsOfTheCookiesSynAckMakesAConnectionWithItsMssOnly()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        final TcpScript.Seg synAck = cookieSynAck(t, options(mss(1460), sackPermitted(), ts(PEER_TS, 0), wscale(7)));
        assertTrue(synAck.ts(), "the SYN-ACK carried the options in its TSval; got " + synAck);
        // the client (or a middlebox) leaves the timestamps off: the window scale and SACK they carried are lost
        t.send(ACK, t.peer(1), t.stack(1), 1000, NONE, NONE);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_SYN_COOKIES_VALID));
        assertEquals(0, t.count(Counter.TCP_SYN_COOKIES_INVALID));
        assertEquals(1, t.count(Counter.TCP_SYN_COOKIES_OPTIONS_LOST));
        final TcpConnection c = l[0].accept();
        assertNotNull(c, "the cookie validates: a connection");
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1460, c.sendMss(), "the cookie's MSS, no room kept for timestamps");
        assertEquals(1000, c.sndWnd(), "RFC 7323 §2.2: no window scaling");

        t.write(c, bytes(10));
        final TcpScript.Seg data = t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        assertFalse(data.ts(), "no timestamps; got " + data);
        assertEquals(Math.min(t.config.receiveBufferBytes(), 65535), data.window(), "our window unscaled; got " + data);
        t.send(ACK, t.peer(101), t.stack(11), 1000, NONE, bytes(100));
        assertEquals(0, t.expect(ACK, t.stack(11), t.peer(1), 0).sack().length, "no SACK");
        assertEquals(0, t.count(Counter.TCP_WINDOW_SCALE_NEGOTIATED));
        assertEquals(0, t.count(Counter.TCP_TIMESTAMPS_NEGOTIATED));
        assertEquals(0, t.count(Counter.TCP_SACK_PERMITTED_NEGOTIATED));
    }

    @Test
    void rfc4987s3_6_aForgedCookieWithoutTimestampsIsStillReset()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        cookieSynAck(t, options(mss(1460), sackPermitted(), ts(PEER_TS, 0), wscale(7)));
        // every bit of the hash below the options' tag (whose other values stand for other options) must match
        for (int bit = 0; bit < 18; bit++)
        {
            t.send(ACK, t.peer(1), t.stack(1) ^ (1 << bit), 1000, NONE, NONE);
            t.expect(RST, t.stack(1) ^ (1 << bit), 0);
        }
        t.peerPort = 40004; // the genuine cookie from another client
        t.send(ACK, t.peer(1), t.stack(1), 1000, NONE, NONE);
        t.expect(RST, t.stack(1), 0);
        assertEquals(0, l[0].pending());
        assertEquals(19, t.count(Counter.TCP_SYN_COOKIES_INVALID));
    }

    @Test
    void rfc4987s3_6_withoutTimestampsTheCookieConnectionGetsItsMssOnly()
    {
        final TcpListener[] l = new TcpListener[1];
        final TcpScript t = fullHalfOpenQueue(l);
        final TcpScript.Seg synAck = cookieSynAck(t, options(mss(1460), sackPermitted(), wscale(7)));
        assertFalse(synAck.ts(), "got " + synAck);
        assertEquals(-1, synAck.wscale(), "no room for options without timestamps; got " + synAck);
        assertFalse(synAck.sackPermitted(), "got " + synAck);
        assertEquals(0, t.count(Counter.TCP_SYN_COOKIES_WITH_OPTIONS));
        t.send(ACK, t.peer(1), t.stack(1), 1000, NONE, NONE);
        assertEquals(0, t.count(Counter.TCP_SYN_COOKIES_OPTIONS_LOST), "there were none to lose");
        final TcpConnection c = l[0].accept();
        assertEquals(1460, c.sendMss());
        assertEquals(1000, c.sndWnd(), "no window scaling");
        t.write(c, bytes(10));
        final TcpScript.Seg data = t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        assertFalse(data.ts(), "got " + data);
        t.send(ACK, t.peer(101), t.stack(11), 1000, NONE, bytes(100));
        assertEquals(0, t.expect(ACK, t.stack(11), t.peer(1), 0).sack().length, "no SACK");
    }

    @Test
    void withTimestampsOffTheCookieCarriesNoOptionsEvenIfTheSynHasTimestamps()
    {
        final TcpScript t = new TcpScript(c -> c.timestamps(false));
        final TcpListener l = t.tcp.listen(80, 1, null);
        t.peerPort = 40001;
        t.synToListener(1460);
        t.peerPort = 40002;
        final TcpScript.Seg synAck = cookieSynAck(t, options(mss(1460), sackPermitted(), ts(PEER_TS, 0), wscale(7)));
        assertFalse(synAck.ts(), "got " + synAck);
        t.send(ACK, t.peer(1), t.stack(1), 1000, ts(PEER_TS + 1, 12345), NONE);
        assertEquals(1, l.pending(), "TSecr is not looked at when the cookie carried no timestamps");
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
