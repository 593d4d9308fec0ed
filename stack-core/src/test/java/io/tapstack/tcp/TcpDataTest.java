package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sending and receiving data: segmentation at the MSS (RFC 9293 §3.7.1), Nagle (§3.7.4), delayed and piggybacked
 * ACKs (§3.8.6.3, RFC 5681 §4.2), reordering, sequence wrap; gVisor packetimpact's segment-split, Nagle,
 * piggybacked-ACK and reordering tests.
 */
class TcpDataTest
{
    private static byte[] slice(final byte[] data, final int from, final int to)
    {
        return Arrays.copyOfRange(data, from, to);
    }

    @Test
    void segmentSplitAtPeerMss1000()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.activeOpen(1000, null);
        c.nagle(false);
        final byte[] data = bytes(2500);
        t.write(c, data);
        assertArrayEquals(slice(data, 0, 1000), t.expect(ACK, t.stack(1), t.peer(1), 1000).data());
        assertArrayEquals(slice(data, 1000, 2000), t.expect(ACK, t.stack(1001), t.peer(1), 1000).data());
        assertArrayEquals(slice(data, 2000, 2500), t.expect(ACK | PSH, t.stack(2001), t.peer(1), 500).data());
        t.expectNothing();
    }

    @Test
    void segmentSplitAtDefaultMss536WhenThePeerSendsNone()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.activeOpen(-1, null);
        c.nagle(false);
        t.write(c, bytes(1200));
        t.expect(ACK, t.stack(1), t.peer(1), 536);
        t.expect(ACK, t.stack(537), t.peer(1), 536);
        t.expect(ACK | PSH, t.stack(1073), t.peer(1), 128);
        t.expectNothing();
    }

    @Test
    void segmentSplitAtOurMssWhenThePeerOffersMore()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.activeOpen(9000, null);
        c.nagle(false);
        t.write(c, bytes(1500));
        t.expect(ACK, t.stack(1), t.peer(1), 1460);
        t.expect(ACK | PSH, t.stack(1461), t.peer(1), 40);
    }

    @Test
    void nagleHoldsSmallWritesUntilTheAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.activeOpen(1460, null);
        t.write(c, bytes(10));
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        t.write(c, bytes(10));
        t.write(c, bytes(10));
        t.expectNothing();
        t.send(ACK, t.peer(1), t.stack(11));
        // both small writes leave together once the outstanding data is acknowledged
        t.expect(ACK | PSH, t.stack(11), t.peer(1), 20);
        t.expectNothing();
    }

    @Test
    void nagleLetsAFullSegmentGoWhileDataIsInFlight()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.activeOpen(1000, null);
        t.write(c, bytes(10));
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        t.write(c, bytes(1500));
        t.expect(ACK, t.stack(11), t.peer(1), 1000);
        t.expectNothing();
    }

    @Test
    void nagleOffSendsSmallWritesAtOnce()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.activeOpen(1460, null);
        c.nagle(false);
        t.write(c, bytes(10));
        t.write(c, bytes(10));
        t.expect(ACK | PSH, t.stack(1), t.peer(1), 10);
        t.expect(ACK | PSH, t.stack(11), t.peer(1), 10);
        t.expectNothing();
    }

    @Test
    void piggybackedAckRidesOnTheReply()
    {
        final TcpScript t = new TcpScript();
        final byte[] buf = new byte[100];
        final TcpConnection c = t.passiveOpen(1460, new TcpHandler()
        {
            @Override
            public void onReadable(final TcpConnection conn)
            {
                final int n = conn.read(buf, 0, buf.length);
                conn.write(buf, 0, n);
            }
        });
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(10));
        final TcpScript.Seg echo = t.expect(ACK | PSH, t.stack(1), t.peer(11), 10);
        assertArrayEquals(bytes(10), echo.data());
        t.s.advance(SECOND / 10);
        t.expectNothing();
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void delayedAckFiresAfter40Ms()
    {
        final TcpScript t = new TcpScript();
        t.passiveOpen();
        t.send(ACK | PSH, t.peer(1), t.stack(1), bytes(10));
        t.expectNothing();
        t.s.advance(40 * MS - 1);
        t.expectNothing();
        t.s.advance(1);
        t.expect(ACK, t.stack(1), t.peer(11), 0);
        t.expectNothing();
    }

    @Test
    void everySecondFullSegmentIsAckedAtOnce()
    {
        final TcpScript t = new TcpScript();
        t.passiveOpen();
        t.send(ACK, t.peer(1), t.stack(1), bytes(1460));
        t.expectNothing();
        t.send(ACK, t.peer(1461), t.stack(1), bytes(1460));
        final TcpScript.Seg ack = t.expect(ACK, t.stack(1), t.peer(2921), 0);
        assertEquals(65535 - 2920, ack.window(), "unread bytes shrink the window");
        t.send(ACK, t.peer(2921), t.stack(1), bytes(1460));
        t.expectNothing();
    }

    @Test
    void outOfOrderSegmentGetsAnImmediateDuplicateAck()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        final byte[] data = bytes(3000);
        t.send(ACK, t.peer(1001), t.stack(1), slice(data, 1000, 2000));
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        t.send(ACK, t.peer(2001), t.stack(1), slice(data, 2000, 3000));
        t.expect(ACK, t.stack(1), t.peer(1), 0);
        assertEquals(0, c.readable());
        // filling the hole acknowledges everything at once
        t.send(ACK, t.peer(1), t.stack(1), slice(data, 0, 1000));
        t.expect(ACK, t.stack(1), t.peer(3001), 0);
        t.expectNothing();
        final byte[] got = new byte[3000];
        assertEquals(3000, c.read(got, 0, 3000));
        assertArrayEquals(data, got);
    }

    @Test
    void overlappingRetransmissionDeliversEachByteOnce()
    {
        final TcpScript t = new TcpScript();
        final TcpConnection c = t.passiveOpen();
        final byte[] data = bytes(300);
        t.send(ACK, t.peer(1), t.stack(1), slice(data, 0, 200));
        t.send(ACK, t.peer(101), t.stack(1), slice(data, 100, 300));
        final byte[] got = new byte[400];
        assertEquals(300, c.read(got, 0, 400));
        assertArrayEquals(data, slice(got, 0, 300));
    }

    @Test
    void sequenceNumbersWrapAround()
    {
        final TcpScript t = new TcpScript();
        t.peerIss = 0xFFFF_FF00; // 256 numbers below 2^32
        final TcpConnection c = t.passiveOpen();
        final byte[] data = bytes(1000);
        t.send(ACK, t.peer(1), t.stack(1), slice(data, 0, 1000));
        t.s.advance(40 * MS);
        t.expect(ACK, t.stack(1), 0xFFFF_FF01 + 1000, 0);
        assertEquals(0xFFFF_FF01 + 1000, c.rcvNxt());
        t.send(ACK | PSH, 0xFFFF_FF01 + 1000, t.stack(1), slice(data, 0, 10));
        t.s.advance(40 * MS);
        t.expect(ACK, t.stack(1), 0xFFFF_FF01 + 1010, 0);
        final byte[] got = new byte[2000];
        assertEquals(1010, c.read(got, 0, 2000));
        assertArrayEquals(data, slice(got, 0, 1000));
    }

    @Test
    void aSmallMtuBoundsTheSendMssSoThatTcpNeverFragmentsItsOwnSegments()
    {
        // RFC 9293 §3.7.1: the effective MSS is bounded by our MTU; the floor of 64 only guards against a peer's
        // tiny MSS (an MTU of 100 leaves 60 bytes: a 64-byte floor made every full segment a fragmented datagram)
        final TcpScript t = TcpScript.withStackConfig(c -> c.mtu(100));
        final TcpConnection c = t.passiveOpen(1460, null);
        assertEquals(60, c.sendMss());
        c.nagle(false);
        t.write(c, bytes(200));
        int sent = 0;
        TcpScript.Seg seg;
        while ((seg = t.nextOrNull()) != null)
        {
            assertTrue(seg.len() <= 60, "a segment larger than the MTU allows: " + seg);
            sent += seg.len();
        }
        assertTrue(sent > 0);
        assertEquals(0, t.count(io.tapstack.StackCounters.Counter.IP_FRAGMENTS_TX));
    }
}
