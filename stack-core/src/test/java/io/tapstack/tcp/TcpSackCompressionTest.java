package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.sackPermitted;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Receiver SACK compression ({@link SackCompressionConfig}, turned on here): the first three duplicate ACKs of an episode go at once
 * (RFC 5681 §4.2, §3.2's DupThresh); later out-of-order segments past the highest hole are acknowledged together
 * after min(1 ms, RTT/20), unless one fills a gap (RFC 5681 §4.2), duplicates data (RFC 2883 §4) or opens a new
 * range while another's growth is held (RFC 2018 §4). One rule per test against a scripted peer.
 */
class TcpSackCompressionTest
{
    private static final long RTT_NS = 40 * TcpScript.MS;
    /** min(1 ms, 40 ms / 20). */
    private static final long HOLD_NS = TcpScript.MS;

    private final List<String> releases = new ArrayList<>();

    /**
     * A passive open with SACK and no timestamps (4 blocks fit) whose handshake took 40 ms, so SRTT is 40 ms; the
     * connection's compressed ACKs are recorded.
     */
    private TcpScript sackPeer(final Consumer<TcpConfig> config)
    {
        final TcpScript t = new TcpScript(c ->
        {
            c.sackCompression.enabled(true); // off by default (see SackCompressionConfig#enabled)
            config.accept(c);
        });
        t.tcp.eventListener(new TcpEventListener()
        {
            @Override
            public void onSackCompressedAck(final TcpConnection c, final int held, final String reason,
                final long nowNs)
            {
                releases.add(reason + ":" + held);
            }
        });
        t.listen(4);
        t.synToListener(options(mss(1460), sackPermitted()));
        t.s.advance(RTT_NS);
        t.send(ACK, t.peer(1), t.stack(1));
        t.expectNothing();
        return t;
    }

    private TcpScript sackPeer()
    {
        return sackPeer(c ->
        {
        });
    }

    /** Sends 100 bytes at peer-relative {@code at}. */
    private static void segment(final TcpScript t, final int at)
    {
        t.send(ACK, t.peer(at), t.stack(1), bytes(100));
    }

    /** 100-byte segments at 101, 201 and 301 (byte 1 missing): three duplicate ACKs, each sent at once. */
    private static void threeDuplicateAcks(final TcpScript t)
    {
        for (int at = 101; at <= 301; at += 100)
        {
            segment(t, at);
            assertArrayEquals(new int[] {t.peer(101), t.peer(at + 100)}, t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
        }
    }

    @Test
    void rfc5681Section4p2FirstThreeDuplicateAcksGoAtOnceThenLaterOnesWaitForTheHold()
    {
        final TcpScript t = sackPeer();
        threeDuplicateAcks(t);
        segment(t, 401);
        segment(t, 501);
        segment(t, 601);
        t.expectNothing();
        t.s.advance(HOLD_NS - 1);
        t.expectNothing();
        t.s.advance(1);
        assertArrayEquals(new int[] {t.peer(101), t.peer(701)}, t.expect(ACK, t.stack(1), t.peer(1), 0).sack(),
            "one ACK reports the three held segments");
        t.expectNothing();
        assertEquals(3, t.count(Counter.TCP_SACK_COMPRESSED_SEGMENTS));
        assertEquals(1, t.count(Counter.TCP_SACK_COMPRESSED_ACKS));
        assertEquals(List.of(TcpEventListener.SACK_RELEASE_TIMER + ":3"), releases);
    }

    @Test
    void rfc5681Section4p2SegmentThatFillsTheHoleIsAcknowledgedAtOnce()
    {
        final TcpScript t = sackPeer();
        threeDuplicateAcks(t);
        segment(t, 401);
        t.expectNothing();
        segment(t, 1);
        assertEquals(0, t.expect(ACK, t.stack(1), t.peer(501), 0).sack().length, "no hole left: no blocks");
        t.s.advance(HOLD_NS);
        t.expectNothing();
        assertEquals(List.of(TcpEventListener.SACK_RELEASE_OTHER_ACK + ":1"), releases);
    }

    @Test
    void rfc5681Section4p2SegmentThatFillsPartOfALaterGapIsAcknowledgedAtOnce()
    {
        final TcpScript t = sackPeer();
        // ranges [201, 301) and [401, 601): three duplicate ACKs
        segment(t, 201);
        t.next();
        segment(t, 401);
        t.next();
        segment(t, 501);
        t.next();
        segment(t, 601); // past the highest hole: held
        t.expectNothing();
        segment(t, 301); // fills the gap between the two ranges, not the first hole
        assertArrayEquals(new int[] {t.peer(201), t.peer(701)}, t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_SACK_COMPRESSED_SEGMENTS));
    }

    @Test
    void rfc2018Section4ANewRangeWhileAnotherRangesGrowthIsHeldIsReportedAtOnceWithIt()
    {
        final TcpScript t = sackPeer();
        threeDuplicateAcks(t); // [101, 401)
        segment(t, 401); // grows it: held
        t.expectNothing();
        segment(t, 601); // a new hole at 501: its range first, the held growth second
        assertArrayEquals(new int[] {t.peer(601), t.peer(701), t.peer(101), t.peer(501)},
            t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
        t.expectNothing();
        assertEquals(List.of(TcpEventListener.SACK_RELEASE_NEW_BLOCK + ":1"), releases);
        // the new range's growth may wait again
        segment(t, 701);
        t.expectNothing();
        t.s.advance(HOLD_NS);
        assertArrayEquals(new int[] {t.peer(601), t.peer(801), t.peer(101), t.peer(501)},
            t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
    }

    @Test
    void rfc2018Section4ANewRangeWithNothingHeldMayWaitItIsReportedFirst()
    {
        final TcpScript t = sackPeer();
        threeDuplicateAcks(t); // [101, 401), everything reported
        segment(t, 501);
        t.expectNothing();
        t.s.advance(HOLD_NS);
        assertArrayEquals(new int[] {t.peer(501), t.peer(601), t.peer(101), t.peer(401)},
            t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
    }

    @Test
    void rfc2883Section4ADuplicateWhileHoldingIsAcknowledgedAtOnceWithItsDsackBlock()
    {
        final TcpScript t = sackPeer();
        threeDuplicateAcks(t);
        segment(t, 401);
        t.expectNothing();
        segment(t, 201);
        assertArrayEquals(new int[] {t.peer(201), t.peer(301), t.peer(101), t.peer(501)},
            t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
        t.expectNothing();
    }

    @Test
    void maxHeldSegmentsReleaseTheHeldAckAtOnce()
    {
        final TcpScript t = sackPeer(c -> c.sackCompression.maxHeldSegments(2));
        threeDuplicateAcks(t);
        segment(t, 401);
        t.expectNothing();
        segment(t, 501);
        assertArrayEquals(new int[] {t.peer(101), t.peer(601)}, t.expect(ACK, t.stack(1), t.peer(1), 0).sack());
        t.expectNothing();
        assertEquals(List.of(TcpEventListener.SACK_RELEASE_COUNT + ":2"), releases);
    }

    @Test
    void rfc5681Section4p2TheEpisodeStartsAgainWhenRcvNxtMoves()
    {
        final TcpScript t = sackPeer();
        threeDuplicateAcks(t);
        segment(t, 501); // a second hole at 401: held (nothing else held)
        t.expectNothing();
        segment(t, 1); // fills the first hole: RCV.NXT moves to 401, at once
        assertArrayEquals(new int[] {t.peer(501), t.peer(601)}, t.expect(ACK, t.stack(1), t.peer(401), 0).sack());
        // a new episode: three duplicate ACKs at once again
        for (int at = 601; at <= 801; at += 100)
        {
            segment(t, at);
            assertArrayEquals(new int[] {t.peer(501), t.peer(at + 100)},
                t.expect(ACK, t.stack(1), t.peer(401), 0).sack());
        }
        segment(t, 901);
        t.expectNothing();
    }

    @Test
    void moreImmediateDuplicateAcksWhenConfigured()
    {
        final TcpScript t = sackPeer(c -> c.sackCompression.immediateDuplicateAcks(4));
        threeDuplicateAcks(t);
        segment(t, 401);
        t.next();
        segment(t, 501);
        t.expectNothing();
    }

    @Test
    void rfc5681Section4p2EveryOutOfOrderSegmentIsAcknowledgedAtOnceWhenTurnedOff()
    {
        final TcpScript t = sackPeer(c -> c.sackCompression.enabled(false));
        for (int at = 101; at <= 601; at += 100)
        {
            segment(t, at);
            t.expect(ACK, t.stack(1), t.peer(1), 0);
        }
        t.expectNothing();
        assertEquals(0, t.count(Counter.TCP_SACK_COMPRESSED_SEGMENTS));
    }

    @Test
    void offByDefault()
    {
        assertEquals(false, new TcpConfig().sackCompression.enabled());
    }

    @Test
    void settingsAreValidated()
    {
        final SackCompressionConfig c = new SackCompressionConfig();
        assertThrows(IllegalArgumentException.class, () -> c.immediateDuplicateAcks(2), "below DupThresh");
        assertThrows(IllegalArgumentException.class, () -> c.maxDelayNs(-1));
        assertThrows(IllegalArgumentException.class, () -> c.rttDivisor(0));
        assertThrows(IllegalArgumentException.class, () -> c.maxHeldSegments(0));
    }
}
