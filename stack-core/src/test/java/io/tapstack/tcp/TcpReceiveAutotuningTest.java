package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.wire.SeqNum;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.wscale;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Receive-buffer autotuning against a scripted peer limited by our window, over a 10 ms round trip (timestamps off,
 * so the receiver times how long a window takes to arrive): the window grows round by round, the window-scale shift
 * was chosen at the SYN for the 4 MiB maximum, and the right edge we announce never moves left, not while the
 * buffer grows nor once memory pressure stops it (RFC 9293 §3.8.6.2.1, RFC 7323 §2.4).
 */
class TcpReceiveAutotuningTest
{
    private static final int SEGMENT = 1460;
    private static final int SHIFT = 7;

    /** Reads everything at once unless paused. */
    private static final class Reader implements TcpHandler
    {
        final byte[] chunk = new byte[64 * 1024];
        boolean paused;
        long read;

        @Override
        public void onReadable(final TcpConnection c)
        {
            if (!paused)
            {
                drain(c);
            }
        }

        void drain(final TcpConnection c)
        {
            int n;
            while ((n = c.read(chunk, 0, chunk.length)) > 0)
            {
                read += n;
            }
        }
    }

    /** A peer that sends what the window it last heard of allows, once per round trip. */
    private static final class Peer
    {
        final TcpScript t;
        int nextSeq;
        /** The right edge of the latest ACK the peer has seen, and the largest window in one. */
        int edge;
        int largestWindow;
        int lastWindow;
        int acks;
        /**
         * RFC 7323 §2.4: a buffer full to the edge cannot round a window that RCV.NXT moved by less than a unit of
         * the scale up, so the edge may retract by less than a unit (the receiver honors the largest edge it
         * announced); while the application reads, it never moves left at all.
         */
        int allowedRetraction;

        final TcpConnection connection;

        Peer(final TcpScript t, final TcpScript.Seg synAck, final TcpConnection connection)
        {
            this.t = t;
            this.connection = connection;
            this.nextSeq = t.peer(1);
            this.edge = t.peer(1) + synAck.window();
        }

        /** One round trip: segments up to the edge known at its start, the ACKs they draw, then 10 ms pass. */
        void round()
        {
            final int limit = edge;
            while (SeqNum.lt(nextSeq, limit))
            {
                final int len = Math.min(SEGMENT, SeqNum.diff(limit, nextSeq));
                t.send(ACK, nextSeq, t.stack(1), bytes(len));
                nextSeq += len;
                hearAcks();
            }
            t.s.advance(10 * MS);
            hearAcks();
        }

        void hearAcks()
        {
            TcpScript.Seg seg;
            while ((seg = t.nextOrNull()) != null)
            {
                assertEquals(t.stack(1), seg.seq(), "a pure ACK: " + seg);
                final int right = seg.ack() + (seg.window() << SHIFT);
                assertTrue(SeqNum.ge(right + allowedRetraction, edge), "the right edge moved left by "
                    + SeqNum.diff(edge, right) + ": " + seg);
                edge = SeqNum.gt(right, edge) ? right : edge; // the peer may use the largest edge it heard of
                lastWindow = seg.window() << SHIFT;
                largestWindow = Math.max(largestWindow, lastWindow);
                acks++;
            }
        }
    }

    private static Peer open(final TcpScript t, final Reader reader)
    {
        t.listen(4);
        final TcpScript.Seg synAck = t.synToListener(options(mss(SEGMENT), wscale(0)));
        assertEquals(SHIFT, synAck.wscale(), "RFC 7323 §2.3: the shift for the 4 MiB maximum, not the 64 KiB start");
        assertEquals(65_535, synAck.window(), "RFC 7323 §2.2: a SYN-ACK's window is not scaled");
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = t.accepted.remove(0);
        c.handler(reader);
        return new Peer(t, synAck, c);
    }

    @Test
    void rfc9293s3_8_6_2_1_theWindowGrowsRoundByRoundAndItsRightEdgeNeverMovesLeft()
    {
        final TcpScript t = new TcpScript(c -> c.timestamps(false));
        final Reader reader = new Reader();
        final Peer peer = open(t, reader);
        for (int round = 0; round < 8; round++)
        {
            peer.round();
        }
        assertTrue(peer.largestWindow >= 1024 * 1024, "the window grew from 64 KiB to " + peer.largestWindow);
        assertTrue(t.count(Counter.TCP_RCVBUF_GROWTHS) >= 4, "in steps: " + t.count(Counter.TCP_RCVBUF_GROWTHS));
        assertEquals(SeqNum.diff(peer.nextSeq, t.peer(1)), reader.read, "every byte read");
        assertEquals(0, t.count(Counter.TCP_MEMORY_PRESSURE));
        // memory is taken as bytes wait, not as the window grows: a prompt reader's ring holds one segment
        assertTrue(t.count(Counter.TCP_MEMORY_BYTES) <= ByteRing.MIN_ALLOCATION, "bytes in use "
            + t.count(Counter.TCP_MEMORY_BYTES));
    }

    @Test
    void rfc7323s2_4_underMemoryPressureTheWindowStopsGrowingButItsRightEdgeNeverMovesLeft()
    {
        final TcpScript t = new TcpScript(c -> c.timestamps(false).memoryLimitBytes(200 * 1024));
        final Reader reader = new Reader();
        final Peer peer = open(t, reader);
        while (peer.largestWindow < 256 * 1024)
        {
            peer.round();
        }
        final long growths = t.count(Counter.TCP_RCVBUF_GROWTHS);
        // the reader stops: the peer fills the window, the ring grows to hold it, the stack is under pressure
        reader.paused = true;
        peer.allowedRetraction = (1 << SHIFT) - 1;
        peer.round();
        peer.round();
        assertEquals(1, t.count(Counter.TCP_MEMORY_PRESSURE));
        assertTrue(t.count(Counter.TCP_MEMORY_BYTES) >= 200 * 1024, "in use " + t.count(Counter.TCP_MEMORY_BYTES));
        final int windowAtPressure = peer.largestWindow;
        // reading again reopens the window: to where it was (never less), and no further while under pressure
        reader.paused = false;
        peer.allowedRetraction = 0;
        reader.drain(peer.connection);
        for (int round = 0; round < 4; round++)
        {
            peer.round();
        }
        assertEquals(growths, t.count(Counter.TCP_RCVBUF_GROWTHS), "no growth under pressure");
        assertEquals(windowAtPressure, peer.largestWindow, "no larger than at pressure");
        assertTrue(peer.lastWindow > windowAtPressure - (1 << SHIFT), "and open again: " + peer.lastWindow);
        assertEquals(SeqNum.diff(peer.nextSeq, t.peer(1)), reader.read, "every byte read");
    }
}
