package io.tapstack.tcp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.tapstack.tcp.ReceiveBufferTest.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Out-of-order holding in the receive ring's free space: trimming, merging, draining, SACK blocks, bounds. */
class SegmentReassemblerTest
{
    private static final int ISN = 0xFFFF_FFF0; // close to the wrap, so sequence arithmetic is exercised
    private final ReceiveBuffer rb = new ReceiveBuffer(64);
    private final SegmentReassembler r = new SegmentReassembler(rb, 4);
    private final UnsafeBuffer stream = new UnsafeBuffer(bytes(0, 256));

    /** Inserts stream bytes [from, from + len). */
    private int seg(final int rcvNxt, final int from, final int len)
    {
        return r.insert(ISN + from, rcvNxt, stream, from, len);
    }

    private byte[] readAll()
    {
        final byte[] out = new byte[rb.size()];
        rb.read(out, 0, out.length);
        return out;
    }

    @Test
    void holdsAnOutOfOrderSegmentUntilTheHoleIsFilled()
    {
        final int rcvNxt = ISN;
        assertEquals(10, seg(rcvNxt, 10, 10));
        assertEquals(0, r.deliverable(rcvNxt));
        assertEquals(0, rb.size());
        assertEquals(64, rb.free()); // the window does not shrink for held data
        assertEquals(10, r.heldBytes());
        assertEquals(10, seg(rcvNxt, 0, 10));
        assertEquals(1, r.intervalCount()); // touching ranges merge
        assertEquals(20, r.deliverable(rcvNxt));
        assertEquals(20, r.drain(rcvNxt));
        assertEquals(0, r.heldBytes());
        assertEquals(0, r.intervalCount());
        assertArrayEquals(bytes(0, 20), readAll());
    }

    @Test
    void countsOnlyNewBytesOfOverlapsAndDuplicates()
    {
        final int rcvNxt = ISN;
        assertEquals(10, seg(rcvNxt, 10, 10));
        assertEquals(0, seg(rcvNxt, 12, 5));
        assertEquals(5, seg(rcvNxt, 15, 10));
        assertEquals(10, seg(rcvNxt, 30, 10));
        assertEquals(2, r.intervalCount());
        assertEquals(5 + 5, seg(rcvNxt, 5, 30)); // fills [5,10) and [25,30), bridging both ranges
        assertEquals(1, r.intervalCount());
        assertEquals(ISN + 5, r.intervalLeft(0));
        assertEquals(ISN + 40, r.intervalRight(0));
        assertEquals(35, r.heldBytes());
    }

    @Test
    void trimsTextBeforeRcvNxtAndBeyondTheWindow()
    {
        int rcvNxt = ISN;
        rb.write(stream, 0, 20);
        rcvNxt += 20;
        assertEquals(44, rb.free());
        assertEquals(0, seg(rcvNxt, 0, 20));         // wholly old
        assertEquals(5, seg(rcvNxt, 15, 10));        // [20, 25) is new
        assertEquals(5, r.drain(rcvNxt));
        rcvNxt += 5;
        assertEquals(39, rb.free());                  // window is [25, 64)
        assertEquals(4, seg(rcvNxt, 60, 10));        // only [60, 64) fits
        assertEquals(0, seg(rcvNxt, 64, 10));        // beyond the right edge
        assertEquals(ISN + 64, r.intervalRight(0));
        assertArrayEquals(bytes(0, 25), readAll());
        assertEquals(64, rb.free());                  // reading moves the right edge to 89
        assertEquals(6, seg(rcvNxt, 64, 6));
        assertEquals(35, seg(rcvNxt, 25, 35));       // fills the hole
        assertEquals(45, r.drain(rcvNxt));
        assertArrayEquals(bytes(25, 45), readAll());
    }

    @Test
    void directInOrderWriteIsReconciledOnTheNextCall()
    {
        int rcvNxt = ISN;
        seg(rcvNxt, 5, 10);
        rb.write(stream, 0, 8); // the connection wrote in-order bytes itself, overlapping [5, 8)
        rcvNxt += 8;
        assertEquals(7, r.deliverable(rcvNxt));
        assertEquals(7, r.heldBytes());
        assertEquals(7, r.drain(rcvNxt));
        assertArrayEquals(bytes(0, 15), readAll());
    }

    @Test
    void drainStopsAtTheLimit()
    {
        final int rcvNxt = ISN;
        seg(rcvNxt, 0, 30);
        assertEquals(12, r.drain(rcvNxt, 12));
        assertEquals(18, r.deliverable(rcvNxt + 12));
        assertEquals(18, r.drain(rcvNxt + 12));
        assertArrayEquals(bytes(0, 30), readAll());
    }

    @Test
    void sackBlocksListTheMostRecentFirst()
    {
        final int rcvNxt = ISN;
        seg(rcvNxt, 10, 2);
        seg(rcvNxt, 20, 2);
        seg(rcvNxt, 30, 2);
        seg(rcvNxt, 12, 2); // grows the first range: now the most recent
        final int[] l = new int[4];
        final int[] rr = new int[4];
        assertEquals(3, r.sackBlocks(rcvNxt, l, rr, 4));
        assertArrayEquals(new int[] {ISN + 10, ISN + 30, ISN + 20, 0}, l);
        assertArrayEquals(new int[] {ISN + 14, ISN + 32, ISN + 22, 0}, rr);
        assertEquals(2, r.sackBlocks(rcvNxt, l, rr, 2));
    }

    @Test
    void boundsTheIntervalCountKeepingRangesNearestRcvNxt()
    {
        final int rcvNxt = ISN;
        for (int k = 1; k <= 4; k++)
        {
            seg(rcvNxt, 10 * k, 2);
        }
        assertEquals(4, r.intervalCount());
        assertEquals(0, seg(rcvNxt, 50, 2));      // beyond every held range: dropped
        assertEquals(1, r.droppedSegments());
        assertEquals(2, seg(rcvNxt, 0, 2));       // at RCV.NXT: the furthest range makes room
        assertEquals(1, r.evictedIntervals());
        assertEquals(4, r.intervalCount());
        assertEquals(ISN + 32, r.intervalRight(3));
        assertEquals(8, r.heldBytes());
        assertEquals(2, seg(rcvNxt, 22, 2));      // merging never needs a new slot
        assertEquals(2, r.drain(rcvNxt));
    }
}
