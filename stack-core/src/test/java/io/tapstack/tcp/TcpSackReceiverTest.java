package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.sackPermitted;
import static io.tapstack.tcp.TcpScript.ts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SACK-permitted negotiation (RFC 2018 §2) and the SACK blocks the receiver sends (RFC 2018 §3-4, RFC 2883 §4),
 * one rule per test against a scripted peer.
 */
class TcpSackReceiverTest
{
    /** A passive open whose SYN offered SACK-permitted (and no timestamps: 4 blocks fit). */
    private static TcpScript sackPeer(final TcpScript t)
    {
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(options(mss(1460), sackPermitted()));
        assertTrue(synAck.sackPermitted(), "SYN-ACK answers SACK-permitted; got " + synAck);
        t.send(ACK, t.peer(1), t.stack(1));
        t.expectNothing();
        return t;
    }

    /**
     * RFC 9293 §3.8.6.3 with §3.7.1: a peer whose segments carry SACK blocks (it has a hole in our data) sends them
     * shorter than its MSS by the blocks' size; they are still full-sized, and every second one is acknowledged at
     * once, not on the delayed-ACK timer.
     */
    @Test
    void rfc9293Section3p8p6p3SegmentsShortenedBySackBlocksCountAsFullSized()
    {
        final TcpScript t = sackPeer(new TcpScript());
        t.send(ACK, t.peer(1), t.stack(1), bytes(1436)); // MSS 1460 less one SACK block (10 bytes, 2 NOPs)
        t.expectNothing();
        t.send(ACK, t.peer(1437), t.stack(1), bytes(1436));
        t.expect(ACK, t.stack(1), t.peer(2873), 0);
        t.expectNothing();
    }

    @Test
    void rfc2018Section2PassiveOpenAnswersSackPermittedAndUsesIt()
    {
        final TcpScript t = sackPeer(new TcpScript());
        assertEquals(1, t.count(Counter.TCP_SACK_PERMITTED_NEGOTIATED));
    }

    @Test
    void rfc2018Section2ActiveOpenOffersSackPermittedAndUsesItWhenTheSynAckCarriesIt()
    {
        final TcpScript t = new TcpScript();
        t.connect(null);
        assertTrue(t.syn.sackPermitted(), "our SYN offers SACK-permitted");
        t.send(SYN | ACK, t.peer(0), t.stack(1), t.peerWindow, options(mss(1460), sackPermitted()), NONE);
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        assertEquals(1, t.count(Counter.TCP_SACK_PERMITTED_NEGOTIATED));
        t.send(ACK, t.peer(101), t.stack(1), bytes(100));
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(1), 0);
        assertArrayEquals(new int[] {t.peer(101), t.peer(201)}, ack.sack());
        t.expectNothing();
    }

    @Test
    void rfc2018Section2NoSackWhenThePeersSynLacksSackPermitted()
    {
        final TcpScript t = new TcpScript();
        t.listen(4);
        assertFalse(t.synToListener(1460).sackPermitted(), "SYN-ACK without SACK-permitted");
        t.send(ACK, t.peer(1), t.stack(1));
        t.send(ACK, t.peer(101), t.stack(1), bytes(100));
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(1), 0);
        assertEquals(0, ack.sack().length, "no SACK blocks; got " + ack);
        assertEquals(0, t.count(Counter.TCP_SACK_PERMITTED_NEGOTIATED));
        t.expectNothing();
    }

    @Test
    void rfc2018Section2NotOfferedNorAnsweredWhenTurnedOff()
    {
        final TcpScript active = new TcpScript(c -> c.sack(false));
        active.connect(null);
        assertFalse(active.syn.sackPermitted(), "our SYN does not offer SACK-permitted");
        final TcpScript passive = new TcpScript(c -> c.sack(false));
        passive.listen(4);
        assertFalse(passive.synToListener(options(mss(1460), sackPermitted())).sackPermitted());
        assertEquals(0, passive.count(Counter.TCP_SACK_PERMITTED_NEGOTIATED));
    }

    @Test
    void rfc2018Section4OutOfOrderSegmentIsAcknowledgedAtOnceWithItsBlock()
    {
        final TcpScript t = sackPeer(new TcpScript());
        t.send(ACK, t.peer(101), t.stack(1), bytes(100));
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(1), 0);
        assertArrayEquals(new int[] {t.peer(101), t.peer(201)}, ack.sack());
        assertEquals(1, t.count(Counter.TCP_SACK_BLOCKS_TX));
        t.expectNothing();
    }

    @Test
    void rfc2018Section4TheBlockHoldingTheMostRecentSegmentComesFirst()
    {
        final TcpScript t = sackPeer(new TcpScript());
        t.send(ACK, t.peer(101), t.stack(1), bytes(100));
        t.next();
        t.send(ACK, t.peer(301), t.stack(1), bytes(100));
        t.next();
        t.send(ACK, t.peer(501), t.stack(1), bytes(100));
        assertArrayEquals(new int[] {t.peer(501), t.peer(601), t.peer(301), t.peer(401), t.peer(101), t.peer(201)},
            t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
        // a segment joining the first two ranges: their union is now the most recent
        t.send(ACK, t.peer(201), t.stack(1), bytes(100));
        assertArrayEquals(new int[] {t.peer(101), t.peer(401), t.peer(501), t.peer(601)},
            t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
        t.expectNothing();
    }

    @Test
    void rfc2018Section3FourBlocksWithoutTimestampsThreeBesideThem()
    {
        final TcpScript t = sackPeer(new TcpScript());
        for (int i = 0; i < 5; i++)
        {
            t.send(ACK, t.peer(101 + 200 * i), t.stack(1), bytes(100));
        }
        TcpScript.Seg last = null;
        for (int i = 0; i < 5; i++)
        {
            last = t.next();
        }
        assertEquals(8, last.sack().length, "4 blocks; got " + last);
        assertEquals(t.peer(901), last.sack()[0], "the most recent first");
        t.expectNothing();

        final TcpScript w = new TcpScript();
        w.listen(4);
        w.synToListener(options(mss(1460), new byte[] {4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0}));
        w.send(ACK, w.peer(1), w.stack(1), w.peerWindow, ts(2, 0), NONE);
        for (int i = 0; i < 5; i++)
        {
            w.send(ACK, w.peer(101 + 200 * i), w.stack(1), w.peerWindow, ts(3 + i, 0), bytes(100));
        }
        for (int i = 0; i < 5; i++)
        {
            last = w.next();
        }
        assertTrue(last.ts(), "timestamps in use");
        assertEquals(6, last.sack().length, "3 blocks beside timestamps; got " + last);
        w.expectNothing();
    }

    @Test
    void rfc2883Section4DuplicateSegmentIsReportedInADsackBlockOnce()
    {
        final TcpScript t = sackPeer(new TcpScript());
        t.send(ACK, t.peer(1), t.stack(1), bytes(100));
        t.send(ACK, t.peer(101), t.stack(1), bytes(100));
        t.s.advance(200 * TcpScript.MS); // the delayed ACK
        assertEquals(0, t.expect(ACK, t.stack(1), t.peer(201), 0).sack().length, "in order: no blocks");
        t.send(ACK, t.peer(1), t.stack(1), bytes(100));
        final TcpScript.Seg dsack = t.expect(ACK, t.stack(1), t.peer(201), 0);
        assertArrayEquals(new int[] {t.peer(1), t.peer(101)}, dsack.sack(), "D-SACK of the duplicate");
        assertEquals(1, t.count(Counter.TCP_DSACKS_TX));
        t.send(ACK, t.peer(301), t.stack(1), bytes(100));
        assertArrayEquals(new int[] {t.peer(301), t.peer(401)}, t.expect(ACK, t.stack(1), t.peer(201), 0).sack(),
            "the D-SACK block went once");
        t.expectNothing();
    }

    @Test
    void rfc2883Section4DuplicateOfHeldDataIsFollowedByTheBlockHoldingIt()
    {
        final TcpScript t = sackPeer(new TcpScript());
        t.send(ACK, t.peer(101), t.stack(1), bytes(200));
        t.next();
        t.send(ACK, t.peer(401), t.stack(1), bytes(100));
        t.next();
        t.send(ACK, t.peer(201), t.stack(1), bytes(100));
        assertArrayEquals(new int[] {t.peer(201), t.peer(301), t.peer(101), t.peer(301), t.peer(401), t.peer(501)},
            t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
        t.expectNothing();
    }
}
