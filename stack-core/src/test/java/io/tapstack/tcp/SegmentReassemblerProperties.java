package io.tapstack.tcp;

import io.tapstack.wire.SeqNum;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random segments of a random byte stream (any order, duplicates, overlaps, partial retransmissions, text
 * outside the window), inserted and drained with a reader taking random amounts: the application only ever
 * sees a prefix of the stream, held data never exceeds the window, nothing throws, and an in-order
 * retransmission of the rest always completes the stream.
 */
class SegmentReassemblerProperties
{
    /** op 0..5: insert [start, start + len) of the stream (start may be relative to delivered); 6..7: read. */
    record Step(int op, int a, int b)
    {
    }

    @Provide
    Arbitrary<List<Step>> steps()
    {
        final Arbitrary<Step> step = Arbitraries.integers().between(0, 7).flatMap(op ->
            Arbitraries.integers().between(0, 420).flatMap(a ->
                Arbitraries.integers().between(0, 60).map(b -> new Step(op, a, b))));
        return step.list().ofMaxSize(60);
    }

    @Property(tries = 2000)
    void deliversExactlyAPrefixOfTheStream(
        @ForAll @Size(max = 400) final byte[] data,
        @ForAll @IntRange(min = 1, max = 96) final int capacity,
        @ForAll @IntRange(min = 1, max = 64) final int maxIntervalsChoice,
        @ForAll final int isn,
        @ForAll("steps") final List<Step> steps)
    {
        // 64 intervals with at most 60 inserts never reaches the bound, so the byte counts are checked exactly
        final int maxIntervals = maxIntervalsChoice > 8 ? 64 : maxIntervalsChoice;
        final boolean exact = maxIntervals == 64;
        final UnsafeBuffer src = new UnsafeBuffer(data);
        final ReceiveBuffer rb = new ReceiveBuffer(capacity);
        final SegmentReassembler r = new SegmentReassembler(rb, maxIntervals);
        final ByteArrayOutputStream app = new ByteArrayOutputStream();
        final boolean[] present = new boolean[data.length];
        int rcvNxt = isn;

        for (final Step s : steps)
        {
            final int delivered = rcvNxt - isn;
            if (s.op() < 6)
            {
                // ops 0-1 aim near RCV.NXT (retransmissions, partial overlaps), the rest anywhere
                final int start = s.op() < 2 ? Math.max(0, delivered - 10 + s.a() % 30) : s.a();
                final int from = Math.min(start, data.length);
                final int len = Math.min(s.b(), data.length - from);
                final int windowEnd = delivered + rb.free();
                int expected = 0;
                for (int k = Math.max(from, delivered); k < Math.min(from + len, windowEnd); k++)
                {
                    if (!present[k])
                    {
                        expected++;
                    }
                }
                final int stored = r.insert(isn + from, rcvNxt, src, from, len);
                if (exact)
                {
                    assertEquals(expected, stored);
                    for (int k = Math.max(from, delivered); k < Math.min(from + len, windowEnd); k++)
                    {
                        present[k] = true;
                    }
                }
                final int free = rb.free();
                final int n = r.drain(rcvNxt);
                assertEquals(free - n, rb.free());
                rcvNxt += n;
            }
            else
            {
                final byte[] out = new byte[s.b()];
                final int n = rb.read(out, 0, out.length);
                app.write(out, 0, n);
            }
            checkInvariants(data, isn, rcvNxt, rb, r, app, exact, present);
        }

        // an in-order retransmission of everything not yet delivered completes the stream
        int guard = 0;
        while (rcvNxt - isn < data.length)
        {
            final int delivered = rcvNxt - isn;
            r.insert(rcvNxt, rcvNxt, src, delivered, Math.min(rb.free(), data.length - delivered));
            rcvNxt += r.drain(rcvNxt);
            final byte[] out = new byte[capacity];
            app.write(out, 0, rb.read(out, 0, out.length));
            assertTrue(++guard <= data.length + 2, "no progress");
        }
        final byte[] out = new byte[capacity];
        app.write(out, 0, rb.read(out, 0, out.length));
        assertArrayEquals(data, app.toByteArray());
    }

    private static void checkInvariants(
        final byte[] data,
        final int isn,
        final int rcvNxt,
        final ReceiveBuffer rb,
        final SegmentReassembler r,
        final ByteArrayOutputStream app,
        final boolean exact,
        final boolean[] present)
    {
        final int delivered = rcvNxt - isn;
        assertTrue(delivered >= 0 && delivered <= data.length);
        final byte[] seen = app.toByteArray();
        final byte[] pending = new byte[rb.size()];
        rb.peek(pending, 0, pending.length);
        assertEquals(delivered, seen.length + pending.length);
        assertArrayEquals(Arrays.copyOfRange(data, 0, seen.length), seen);
        assertArrayEquals(Arrays.copyOfRange(data, seen.length, delivered), pending);

        assertTrue(r.heldBytes() <= rb.free(), "held beyond the window");
        assertTrue(r.intervalCount() <= r.maxIntervals());
        int sum = 0;
        int prevRight = rcvNxt;
        for (int i = 0; i < r.intervalCount(); i++)
        {
            final int left = r.intervalLeft(i);
            final int right = r.intervalRight(i);
            assertTrue(SeqNum.lt(left, right));
            assertTrue(i == 0 ? SeqNum.ge(left, prevRight) : SeqNum.gt(left, prevRight), "sorted, apart");
            assertTrue(SeqNum.le(right, rcvNxt + rb.free()), "inside the window");
            sum += right - left;
            prevRight = right;
        }
        assertEquals(sum, r.heldBytes());
        if (exact)
        {
            int modelHeld = 0;
            for (int k = delivered; k < data.length; k++)
            {
                modelHeld += present[k] ? 1 : 0;
            }
            assertEquals(modelHeld, r.heldBytes());
        }
    }
}
