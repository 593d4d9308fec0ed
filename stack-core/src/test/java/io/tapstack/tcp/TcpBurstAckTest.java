package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPermitted;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One ACK per connection per received burst ({@link BurstAckConfig}): segments the stack reads in one duty
 * cycle are acknowledged together where RFC 9293 §3.8.6.3 would ACK every second one, and at once where RFC 5681
 * §4.2 says so; data the connection sends waits with the ACK, except in a loss recovery. A burst is what {@code step()} reads after the script queued several segments.
 */
class TcpBurstAckTest
{
    private static final int FULL = 1460;

    /** A passive open with SACK-permitted (no timestamps), MSS 1460 both ways. */
    private static TcpScript open(final Consumer<BurstAckConfig> burstAcks)
    {
        final TcpScript t = new TcpScript(c -> burstAcks.accept(c.burstAcks));
        t.listen(4);
        t.synToListener(options(mss(FULL), sackPermitted()));
        t.send(ACK, t.peer(1), t.stack(1));
        t.expectNothing();
        return t;
    }

    private static void queueFull(final TcpScript t, final int... segmentIndexes)
    {
        for (final int i : segmentIndexes)
        {
            t.queue(ACK, t.peer(1 + i * FULL), t.stack(1), bytes(FULL));
        }
    }

    /** RFC 9293 §3.8.6.3 (SHLD-19) relaxed across a burst: four full segments read together get one stretch ACK. */
    @Test
    void rfc9293Section3p8p6p3FourInOrderSegmentsOfOneBurstGetOneAck()
    {
        final TcpScript t = open(b -> b.enabled(true));
        final long deferredBefore = t.count(Counter.TCP_BURST_DEFERRED_SEGMENTS);
        queueFull(t, 0, 1, 2, 3);
        t.s.step();
        t.expect(ACK, t.stack(1), t.peer(1 + 4 * FULL), 0);
        t.expectNothing();
        assertEquals(1, t.count(Counter.TCP_STRETCH_ACKS));
        assertEquals(3, t.count(Counter.TCP_BURST_DEFERRED_SEGMENTS) - deferredBefore); // the first asked none
    }

    /** Off (the NetStack default): the same burst is acknowledged every second full-sized segment. */
    @Test
    void rfc9293Section3p8p6p3WithoutBurstAcksEverySecondSegmentIsAcknowledged()
    {
        final TcpScript t = open(b -> b.enabled(false));
        queueFull(t, 0, 1, 2, 3);
        t.s.step();
        t.expect(ACK, t.stack(1), t.peer(1 + 2 * FULL), 0);
        t.expect(ACK, t.stack(1), t.peer(1 + 4 * FULL), 0);
        t.expectNothing();
        assertEquals(0, t.count(Counter.TCP_STRETCH_ACKS));
    }

    /**
     * RFC 5681 §4.2 and RFC 2018 §4: out-of-order segments in a burst are acknowledged each at once, with the SACK
     * blocks of what arrived so far (the in-order ACK waiting from earlier in the burst goes with the first).
     */
    @Test
    void rfc5681Section4p2OutOfOrderSegmentsOfABurstAreEachAcknowledgedAtOnce()
    {
        final TcpScript t = open(b -> b.enabled(true));
        queueFull(t, 0, 1, 3, 4); // the third segment is missing
        t.s.step();
        final TcpScript.Seg first = t.expect(ACK, t.stack(1), t.peer(1 + 2 * FULL), 0);
        assertArrayEquals(new int[] {t.peer(1 + 3 * FULL), t.peer(1 + 4 * FULL)}, first.sack());
        final TcpScript.Seg second = t.expect(ACK, t.stack(1), t.peer(1 + 2 * FULL), 0);
        assertArrayEquals(new int[] {t.peer(1 + 3 * FULL), t.peer(1 + 5 * FULL)}, second.sack());
        t.expectNothing();
        // the hole filled in the next burst: acknowledged at once, everything up to the end
        queueFull(t, 2);
        t.s.step();
        t.expect(ACK, t.stack(1), t.peer(1 + 5 * FULL), 0);
        t.expectNothing();
    }

    /**
     * Outside a loss recovery the data a burst makes the connection send waits with the ACK: the echo of two
     * segments read together goes at the burst's end, both segments carrying the ACK of the whole burst.
     */
    @Test
    void dataSentForTheBurstGoesAtItsEndWithTheAckOfTheWholeBurst()
    {
        final TcpScript t = new TcpScript(c -> c.burstAcks.enabled(true));
        t.passiveOpen(FULL, new TcpHandler()
        {
            private final byte[] buf = new byte[4 * FULL];

            @Override
            public void onReadable(final TcpConnection c)
            {
                final int n = c.read(buf, 0, buf.length);
                if (n > 0)
                {
                    c.write(buf, 0, n);
                }
            }
        });
        queueFull(t, 0, 1);
        t.s.step();
        final TcpScript.Seg first = t.next();
        assertEquals(t.peer(1 + 2 * FULL), first.ack());
        assertEquals(FULL, first.len());
        final TcpScript.Seg second = t.next();
        assertEquals(t.peer(1 + 2 * FULL), second.ack());
        assertEquals(FULL, second.len());
        t.expectNothing();
    }

    /**
     * RFC 6937 §3 (PRR, as RFC 6675 §5's exit): a recovery's end sets cwnd from FlightSize, so in a recovery the data
     * a segment allows goes at once even in a burst: ACKs that carry a recovery to its end give the same segments
     * and the same cwnd read together in one burst as one per duty cycle. (Holding that data back to the burst's end
     * left FlightSize near zero at the exit: cwnd 3,000 here instead of 7,000.)
     */
    @Test
    void rfc6937Section3AcksEndingARecoveryGiveTheSameOutputAndCwndInOneBurst()
    {
        assertEquals(recoveryEndedBy(false), recoveryEndedBy(true));
    }

    /** S0 of ten 1,000-byte segments lost; after the recovery begins, three ACKs end it: its segments and cwnd. */
    private static List<String> recoveryEndedBy(final boolean oneBurst)
    {
        // the default CUBIC with PRR and RACK: PRR's end of a recovery sets cwnd from FlightSize (RFC 6937 §3)
        final TcpScript t = new TcpScript(c -> c.burstAcks.enabled(true));
        t.listen(4);
        t.synToListener(options(mss(1000), sackPermitted()));
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = t.accepted.remove(0);
        t.write(c, bytes(30_000));
        final IntUnaryOperator seg = i -> t.stack(1 + 1000 * i);
        for (int edge = 2; edge <= 4; edge++)
        {
            t.send(ACK, t.peer(1), seg.applyAsInt(0), t.peerWindow, sack(seg.applyAsInt(1), seg.applyAsInt(edge)),
                TcpScript.NONE); // the third duplicate ACK begins the recovery
        }
        drain(t);
        final int[][] acks = {{seg.applyAsInt(0), seg.applyAsInt(1), seg.applyAsInt(7)},
            {seg.applyAsInt(0), seg.applyAsInt(1), seg.applyAsInt(10)}, {seg.applyAsInt(10)}};
        for (final int[] a : acks)
        {
            final byte[] blocks = a.length > 1 ? sack(a[1], a[2]) : TcpScript.NONE;
            if (oneBurst)
            {
                t.queue(ACK, t.peer(1), a[0], blocks, TcpScript.NONE);
            }
            else
            {
                t.send(ACK, t.peer(1), a[0], t.peerWindow, blocks, TcpScript.NONE);
            }
        }
        t.s.step();
        final List<String> out = drain(t);
        assertEquals(1, t.count(Counter.TCP_SACK_RECOVERIES));
        out.add("cwnd " + c.cwnd() + " ssthresh " + c.ssthresh());
        return out;
    }

    private static List<String> drain(final TcpScript t)
    {
        final List<String> out = new ArrayList<>();
        for (TcpScript.Seg seg = t.nextOrNull(); seg != null; seg = t.nextOrNull())
        {
            out.add(seg.toString());
        }
        return out;
    }

    /** {@link BurstAckConfig#maxSegments()}: a burst longer than the bound is acknowledged as it reaches it. */
    @Test
    void aBurstAckCoversAtMostMaxSegments()
    {
        final TcpScript t = open(b -> b.enabled(true).maxSegments(3));
        queueFull(t, 0, 1, 2, 3, 4, 5);
        t.s.step();
        t.expect(ACK, t.stack(1), t.peer(1 + 3 * FULL), 0);
        t.expect(ACK, t.stack(1), t.peer(1 + 6 * FULL), 0);
        t.expectNothing();
    }
}
