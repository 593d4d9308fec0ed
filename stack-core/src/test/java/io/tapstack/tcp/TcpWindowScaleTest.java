package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.wscale;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 7323 §2: the window scale option, one rule per test, with timestamps off so each test sees only scaling
 * (the negotiation of timestamps is {@link TcpTimestampsTest}'s).
 */
class TcpWindowScaleTest
{
    private static final int FOUR_MIB = 4 * 1024 * 1024;

    /** A buffer of a fixed size (autotuning off): the shift is chosen for it. */
    private static TcpScript script(final int receiveBuffer)
    {
        return new TcpScript(c -> c.receiveBufferBytes(receiveBuffer).receiveBufferMaxBytes(receiveBuffer)
            .timestamps(false));
    }

    @Test
    void rfc7323s2_3_shiftIsTheSmallestThatAnnouncesTheWholeBufferAtMost14()
    {
        assertEquals(0, TcpReceiver.windowShiftFor(1000));
        assertEquals(0, TcpReceiver.windowShiftFor(65_535));
        assertEquals(1, TcpReceiver.windowShiftFor(65_536));
        assertEquals(1, TcpReceiver.windowShiftFor(131_071));
        assertEquals(2, TcpReceiver.windowShiftFor(131_072));
        assertEquals(7, TcpReceiver.windowShiftFor(FOUR_MIB));
        assertEquals(14, TcpReceiver.windowShiftFor(Integer.MAX_VALUE));
    }

    @Test
    void rfc7323s2_2_ourSynOffersTheShiftOfTheReceiveBufferWithAnUnscaledWindow()
    {
        final TcpScript t = script(FOUR_MIB);
        t.connect(null);
        final TcpScript.Seg syn = t.syn;
        assertEquals(7, syn.wscale(), "RFC 7323 §2.3: 4 MiB needs a shift of 7; got " + syn);
        assertEquals(65_535, syn.window(), "RFC 7323 §2.2: the window of a SYN is never scaled");
    }

    @Test
    void rfc7323s2_2_noWindowScaleOnOurSynWhenTurnedOff()
    {
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(FOUR_MIB).windowScaling(false));
        t.connect(null);
        // connect() took the SYN; send a SYN-ACK offering scaling: it is not used, we did not offer it
        t.send(SYN | ACK, t.peer(0), t.stack(1), 1000, options(mss(1460), wscale(3)), NONE);
        assertEquals(65_535, t.expect(ACK, t.stack(1), t.peer(1)).window(), "unscaled, capped at 65,535");
        t.send(ACK, t.peer(1), t.stack(1), 1000, NONE, NONE);
        assertEquals(0, t.count(Counter.TCP_WINDOW_SCALE_NEGOTIATED));
        t.expectNothing();
    }

    @Test
    void rfc7323s2_2_synAckOffersWindowScaleOnlyWhenThePeersSynDid()
    {
        final TcpScript without = script(FOUR_MIB);
        without.listen(4);
        final TcpScript.Seg plain = without.synToListener(mss(1460));
        assertEquals(-1, plain.wscale(), "no option on the SYN-ACK; got " + plain);
        final TcpScript with = script(FOUR_MIB);
        with.listen(4);
        final TcpScript.Seg scaled = with.synToListener(options(mss(1460), wscale(2)));
        assertEquals(7, scaled.wscale(), "got " + scaled);
        assertEquals(65_535, scaled.window(), "RFC 7323 §2.2: a SYN-ACK's window is not scaled");
        assertEquals(1, with.count(Counter.TCP_WINDOW_SCALE_NEGOTIATED));
        assertEquals(0, without.count(Counter.TCP_WINDOW_SCALE_NEGOTIATED));
    }

    @Test
    void rfc7323s2_2_withoutThePeersOfferOurWindowStaysUnscaledAndCappedAt65535()
    {
        final TcpScript t = script(FOUR_MIB);
        t.connect(null);
        t.send(SYN | ACK, t.peer(0), t.stack(1), 1000, mss(1460), NONE);
        assertEquals(65_535, t.expect(ACK, t.stack(1), t.peer(1)).window());
        t.expectNothing();
    }

    @Test
    void rfc7323s2_2_thePeersWindowIsScaledByItsShiftExceptOnItsSyn()
    {
        final TcpScript t = script(FOUR_MIB);
        final TcpConnection c = t.connect(null);
        t.send(SYN | ACK, t.peer(0), t.stack(1), 1000, options(mss(1460), wscale(3)), NONE);
        t.expect(ACK, t.stack(1), t.peer(1));
        assertEquals(1000, c.sndWnd(), "the SYN-ACK's window is taken as is");
        t.send(ACK, t.peer(1), t.stack(1), 1000, NONE, NONE);
        assertEquals(8000, c.sndWnd(), "1000 << 3");
        t.expectNothing();
    }

    @Test
    void rfc7323s2_2_ourWindowFieldIsTheFreeSpaceShiftedRightByOurShift()
    {
        final TcpScript t = script(FOUR_MIB);
        t.listen(4);
        t.synToListener(options(mss(1460), wscale(0)));
        t.send(ACK, t.peer(1), t.stack(1));
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(1280));
        t.s.advance(40 * MS);
        // the whole buffer less the unread 1,280 bytes, in units of 128
        assertEquals((FOUR_MIB - 1280) >> 7, t.expect(ACK, t.stack(1), t.peer(1281)).window());
        t.expectNothing();
    }

    @Test
    void rfc7323s2_4_theRightEdgeNeverMovesLeftWhenReceiveNextMovesByLessThanAUnit()
    {
        // 300,000 bytes: shift 3; segments of 1,001 bytes move RCV.NXT by amounts that are not multiples of 8
        final TcpScript t = script(300_000);
        t.listen(4);
        t.synToListener(options(mss(1460), wscale(0)));
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = t.accepted.remove(0);
        int seq = 1;
        int edge = t.peer(1);
        for (int i = 0; i < 40; i++)
        {
            t.send(ACK | PSH, t.peer(seq), t.stack(1), bytes(1001));
            seq += 1001;
            t.s.advance(40 * MS);
            final TcpScript.Seg ack = t.next();
            assertEquals(t.peer(seq), ack.ack(), "every byte taken: " + ack);
            final int right = ack.ack() + (ack.window() << 3);
            assertTrue(SeqNum.ge(right, edge), "right edge moved left by " + SeqNum.diff(edge, right) + ": " + ack);
            edge = right;
            c.read(new byte[700], 0, 700);
        }
        t.expectNothing();
    }

    @Test
    void rfc5961s5_2_maxSndWndIsTheScaledWindowSoAnOldAckWithinItIsNoChallenge()
    {
        final TcpScript t = script(FOUR_MIB);
        final TcpConnection c = t.connect(null);
        t.send(SYN | ACK, t.peer(0), t.stack(1), 100, options(mss(1460), wscale(8)), NONE);
        t.expect(ACK, t.stack(1), t.peer(1));
        t.send(ACK, t.peer(1), t.stack(1), 100, NONE, NONE); // 25,600 bytes
        t.write(c, bytes(3000));
        t.expect(ACK, t.stack(1), t.peer(1), 1460);
        t.expect(ACK, t.stack(1461), t.peer(1), 1460);
        t.send(ACK, t.peer(1), t.stack(2921), 100, NONE, NONE);
        t.expect(ACK | PSH, t.stack(2921), t.peer(1), 80); // Nagle held it until now
        t.send(ACK, t.peer(1), t.stack(3001), 100, NONE, NONE);
        // an old ACK 3,000 bytes below SND.UNA: outside an unscaled MAX.SND.WND (100), inside the scaled 25,600
        t.send(ACK, t.peer(1), t.stack(1), 100, NONE, NONE);
        assertEquals(0, t.count(Counter.TCP_CHALLENGE_ACKS));
        t.expectNothing();
    }
}
