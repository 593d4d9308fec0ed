package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.PSH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In-order data handed to the application's handler straight from the segment ({@link TcpHandler#onInOrderData}):
 * RFC 9293 §3.10.7.4 seventh (text in order goes to the user; what is out of order waits in the buffer) with one
 * copy fewer, and the window update a read earns (RFC 1122 §4.2.3.3, RFC 9293 §3.8.6.2.2).
 */
class TcpDirectDeliveryTest
{
    /** Takes up to {@code limit} bytes of each offer, and records them. */
    private static final class Taker implements TcpHandler
    {
        final ByteArrayOutputStream taken = new ByteArrayOutputStream();
        int limit = Integer.MAX_VALUE;
        int offers;

        @Override
        public int onInOrderData(final TcpConnection connection, final DirectBuffer segment, final int offset,
            final int length)
        {
            offers++;
            final int n = Math.min(length, limit);
            final byte[] bytes = new byte[n];
            segment.getBytes(offset, bytes);
            taken.writeBytes(bytes);
            return n;
        }
    }

    private static byte[] data(final int n, final int seed)
    {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)(seed + i * 13);
        }
        return b;
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void inOrderTextGoesStraightToTheHandlerAndTcpBuffersNone()
    {
        final TcpScript t = new TcpScript();
        final Taker taker = new Taker();
        final TcpConnection c = t.passiveOpen(1460, taker);
        final byte[] first = data(1460, 1);
        final byte[] second = data(1460, 2);
        t.send(ACK, t.peer(1), t.stack(1), first);
        t.send(ACK | PSH, t.peer(1461), t.stack(1), second);
        assertArrayEquals(concat(first, second), taker.taken.toByteArray());
        assertEquals(0, c.readable(), "TCP's buffer holds nothing");
        // RFC 9293 §3.8.6.3: the second full-sized segment is acknowledged at once, as when TCP buffered them
        t.expect(ACK, t.stack(1), t.peer(2921), 0);
        assertEquals(2, t.count(Counter.TCP_SEGMENTS_DELIVERED_DIRECT));
        assertEquals(2920, t.count(Counter.TCP_BYTES_DELIVERED_DIRECT));
    }

    @Test
    void whatTheHandlerLeavesIsBufferedInOrderAndLaterTextWaitsBehindIt()
    {
        final TcpScript t = new TcpScript();
        final Taker taker = new Taker();
        final TcpConnection c = t.passiveOpen(1460, taker);
        taker.limit = 300;
        final byte[] first = data(1000, 3);
        final byte[] second = data(500, 4);
        t.send(ACK | PSH, t.peer(1), t.stack(1), first);
        assertEquals(700, c.readable());
        // the buffer is not empty: the next text queues behind it, never overtakes it
        t.send(ACK | PSH, t.peer(1001), t.stack(1), second);
        assertEquals(1, taker.offers);
        final byte[] rest = new byte[1200];
        assertEquals(1200, c.read(rest, 0, rest.length));
        final byte[] all = concat(taker.taken.toByteArray(), rest);
        assertArrayEquals(concat(first, second), all);
    }

    @Test
    void outOfOrderTextIsNeverOfferedAndTheFilledHoleIsReadFromTheBuffer()
    {
        final TcpScript t = new TcpScript();
        final Taker taker = new Taker();
        final TcpConnection c = t.passiveOpen(1460, taker);
        final byte[] first = data(1000, 5);
        final byte[] second = data(1000, 6);
        t.send(ACK | PSH, t.peer(1001), t.stack(1), second);
        assertEquals(0, taker.offers, "out of order: held by TCP (RFC 9293 §3.10.7.4)");
        t.expect(ACK, t.stack(1), t.peer(1), 0); // RFC 5681 §4.2: out of order, acknowledged at once
        t.send(ACK | PSH, t.peer(1), t.stack(1), first);
        assertEquals(0, taker.offers, "a range is held: the filling text goes through the buffer, in order");
        final byte[] read = new byte[2000];
        assertEquals(2000, c.read(read, 0, read.length));
        assertArrayEquals(concat(first, second), read);
    }

    @Test
    void bytesTakenAsTheyArriveEarnNoWindowUpdateWhileThePeersWindowIsWide()
    {
        // RFC 1122 §4.2.3.3 leaves when to send a window update to the receiver: text consumed on arrival must not
        // cost an ACK per segment; the ACK every second full-sized segment earns carries the window (RFC 9293
        // §3.8.6.3), and a lone segment waits for the delayed-ACK timer
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(65_535));
        final Taker taker = new Taker();
        t.passiveOpen(1460, taker);
        t.send(ACK, t.peer(1), t.stack(1), data(1460, 7));
        t.s.step();
        t.expectNothing();
        t.send(ACK, t.peer(1461), t.stack(1), data(1460, 8));
        assertEquals(65_535, t.expect(ACK, t.stack(1), t.peer(2921), 0).window());
        t.send(ACK, t.peer(2921), t.stack(1), data(1460, 9));
        t.s.step();
        t.expectNothing();
        t.s.advance(500 * MS);
        t.expect(ACK, t.stack(1), t.peer(4381), 0); // RFC 9293 §3.8.6.3: within 0.5 s
        assertEquals(4380, taker.taken.size());
    }

    @Test
    void aSegmentThatHalvesThePeersWindowIsAcknowledgedAtOnce()
    {
        // the peer's window would be half closed until the delayed-ACK timer: announce the reopened window now
        final TcpScript t = new TcpScript(c -> c.receiveBufferBytes(2920));
        final Taker taker = new Taker();
        t.passiveOpen(1460, taker);
        t.send(ACK, t.peer(1), t.stack(1), data(1460, 10));
        assertEquals(2920, t.expect(ACK, t.stack(1), t.peer(1461), 0).window());
    }
}
